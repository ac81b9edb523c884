/**
 * JSON shapes of the fake's answers, following PagerDuty's REST API (wrapped entities,
 * `*_reference` objects, ISO-8601 times, `self` links that point back at the fake).
 *
 * @module
 */

import type {
  AccountEvent,
  EscalationPolicyRecord,
  IncidentRecord,
  NoteRecord,
  OnCallRecord,
  PriorityRecord,
  ScheduleRecord,
  ServiceRecord,
  UserRecord,
} from "./state.ts";

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** Renders account records; `apiBase` is the fake's URL, `webBase` the account's web URL. */
export class Renderer {
  readonly apiBase: string;
  readonly webBase: string;
  readonly #users: (id: string) => UserRecord | undefined;

  /** Creates a renderer; `users` resolves ids in references to their names. */
  constructor(apiBase: string, webBase: string, users: (id: string) => UserRecord | undefined) {
    this.apiBase = apiBase;
    this.webBase = webBase;
    this.#users = users;
  }

  /** A `{id,type,summary,self,html_url}` reference. */
  reference(kind: string, collection: string, id: string, summary: string): JsonObject {
    return {
      id,
      type: `${kind}_reference`,
      summary,
      self: `${this.apiBase}/${collection}/${id}`,
      html_url: `${this.webBase}/${collection}/${id}`,
    };
  }

  /** A reference to a user. */
  userReference(id: string): JsonObject {
    return this.reference("user", "users", id, this.#users(id)?.name ?? id);
  }

  /** A full user. */
  user(user: UserRecord): JsonObject {
    return {
      id: user.id,
      type: "user",
      summary: user.name,
      self: `${this.apiBase}/users/${user.id}`,
      html_url: `${this.webBase}/users/${user.id}`,
      name: user.name,
      email: user.email,
      time_zone: user.timeZone,
      color: "green",
      role: user.role,
      avatar_url: "https://secure.gravatar.com/avatar/00000000000000000000000000000000.png",
      description: "",
      invitation_sent: false,
      job_title: "",
      teams: user.teamIds.map((id) => this.reference("team", "teams", id, id)),
      contact_methods: [],
      notification_rules: [],
      coordinated_incidents: [],
    };
  }

  /** A full service. */
  service(service: ServiceRecord, policy: EscalationPolicyRecord | undefined): JsonObject {
    return {
      id: service.id,
      type: "service",
      summary: service.name,
      self: `${this.apiBase}/services/${service.id}`,
      html_url: `${this.webBase}/service-directory/${service.id}`,
      name: service.name,
      description: "",
      auto_resolve_timeout: null,
      acknowledgement_timeout: null,
      created_at: service.createdAt.toISOString(),
      status: "active",
      last_incident_timestamp: null,
      alert_creation: "create_alerts_and_incidents",
      escalation_policy: this.reference(
        "escalation_policy",
        "escalation_policies",
        service.escalationPolicyId,
        policy?.name ?? service.escalationPolicyId,
      ),
      teams: [],
      integrations: [],
      incident_urgency_rule: { type: "constant", urgency: service.urgency },
      support_hours: null,
      scheduled_actions: [],
    };
  }

  /** A full schedule. */
  schedule(schedule: ScheduleRecord): JsonObject {
    return {
      id: schedule.id,
      type: "schedule",
      summary: schedule.name,
      self: `${this.apiBase}/schedules/${schedule.id}`,
      html_url: `${this.webBase}/schedules/${schedule.id}`,
      name: schedule.name,
      time_zone: schedule.timeZone,
      description: "",
      escalation_policies: [],
      users: [],
      teams: [],
    };
  }

  /** A full escalation policy; its rules are derived from the on-call entries naming it. */
  escalationPolicy(
    policy: EscalationPolicyRecord,
    onCalls: readonly OnCallRecord[],
    services: readonly ServiceRecord[],
    schedules: (id: string) => ScheduleRecord | undefined,
  ): JsonObject {
    const levels = new Map<number, Map<string, JsonObject>>();
    for (const entry of onCalls) {
      if (entry.escalationPolicyId !== policy.id) continue;
      let targets = levels.get(entry.level);
      if (targets === undefined) levels.set(entry.level, targets = new Map());
      if (entry.scheduleId !== undefined) {
        const name = schedules(entry.scheduleId)?.name ?? entry.scheduleId;
        targets.set(
          entry.scheduleId,
          this.reference("schedule", "schedules", entry.scheduleId, name),
        );
      } else {
        targets.set(entry.userId, this.userReference(entry.userId));
      }
    }
    return {
      id: policy.id,
      type: "escalation_policy",
      summary: policy.name,
      self: `${this.apiBase}/escalation_policies/${policy.id}`,
      html_url: `${this.webBase}/escalation_policies/${policy.id}`,
      name: policy.name,
      description: "",
      num_loops: policy.numLoops,
      on_call_handoff_notifications: "if_has_services",
      escalation_rules: [...levels.entries()].sort(([a], [b]) => a - b).map(([level, targets]) => ({
        id: `${policy.id}L${level}`,
        escalation_delay_in_minutes: 30,
        targets: [...targets.values()],
      })),
      services: services.filter((s) => s.escalationPolicyId === policy.id).map((s) =>
        this.reference("service", "services", s.id, s.name)
      ),
      teams: [],
    };
  }

  /** A priority. */
  priority(priority: PriorityRecord): JsonObject {
    return {
      id: priority.id,
      type: "priority",
      summary: priority.name,
      self: `${this.apiBase}/priorities/${priority.id}`,
      name: priority.name,
      description: priority.description,
    };
  }

  /** An on-call entry. */
  onCall(
    entry: OnCallRecord,
    policy: EscalationPolicyRecord | undefined,
    schedule: ScheduleRecord | undefined,
  ): JsonObject {
    return {
      escalation_policy: this.reference(
        "escalation_policy",
        "escalation_policies",
        entry.escalationPolicyId,
        policy?.name ?? entry.escalationPolicyId,
      ),
      escalation_level: entry.level,
      schedule: entry.scheduleId === undefined ? null : this.reference(
        "schedule",
        "schedules",
        entry.scheduleId,
        schedule?.name ?? entry.scheduleId,
      ),
      user: this.userReference(entry.userId),
      start: entry.start?.toISOString() ?? null,
      end: entry.endText ?? entry.end?.toISOString() ?? null,
    };
  }

  /** A full incident. */
  incident(
    incident: IncidentRecord,
    service: ServiceRecord | undefined,
    policy: EscalationPolicyRecord | undefined,
    priority: PriorityRecord | undefined,
  ): JsonObject {
    return {
      id: incident.id,
      type: "incident",
      summary: `[#${incident.number}] ${incident.title}`,
      self: `${this.apiBase}/incidents/${incident.id}`,
      html_url: `${this.webBase}/incidents/${incident.id}`,
      incident_number: incident.number,
      title: incident.title,
      description: incident.title,
      created_at: incident.createdAt.toISOString(),
      updated_at: incident.updatedAt.toISOString(),
      status: incident.status,
      incident_key: incident.incidentKey ?? null,
      service: this.reference(
        "service",
        "services",
        incident.serviceId,
        service?.name ?? incident.serviceId,
      ),
      assignments: incident.assignments.map((a) => ({
        at: a.at.toISOString(),
        assignee: this.userReference(a.userId),
      })),
      assigned_via: incident.assignedVia,
      acknowledgements: incident.acknowledgements.map((a) => ({
        at: a.at.toISOString(),
        acknowledger: this.userReference(a.userId),
      })),
      incidents_responders: incident.responders.map((r) => ({
        state: r.state,
        user: this.userReference(r.userId),
        incident: this.reference("incident", "incidents", incident.id, incident.title),
        updated_at: r.updatedAt.toISOString(),
        message: "Please help with this incident.",
        requester: this.userReference(r.requesterId),
        requested_at: r.requestedAt.toISOString(),
      })),
      last_status_change_at: incident.lastStatusChangeAt.toISOString(),
      last_status_change_by: this.userReference(incident.lastStatusChangeById),
      resolved_at: incident.resolvedAt?.toISOString() ?? null,
      first_trigger_log_entry: this.reference(
        "trigger_log_entry",
        "log_entries",
        `R${incident.id.slice(1)}`,
        `Triggered through the API.`,
      ),
      alert_counts: { all: 0, triggered: 0, resolved: 0 },
      pending_actions: [],
      is_mergeable: true,
      incident_type: { name: "incident_default" },
      escalation_policy: this.reference(
        "escalation_policy",
        "escalation_policies",
        incident.escalationPolicyId,
        policy?.name ?? incident.escalationPolicyId,
      ),
      teams: [],
      priority: priority === undefined ? null : this.priority(priority),
      urgency: incident.urgency,
      resolve_reason: null,
    };
  }

  /** A note. */
  note(note: NoteRecord): JsonObject {
    return {
      id: note.id,
      user: this.userReference(note.userId),
      channel: { summary: "The PagerDuty website or APIs" },
      content: note.content,
      created_at: note.createdAt.toISOString(),
      updated_at: note.createdAt.toISOString(),
    };
  }

  /** The `data` object of a V3 webhook event for an account event. */
  webhookData(event: AccountEvent, service: ServiceRecord | undefined): JsonObject {
    const incidentRef = this.reference(
      "incident",
      "incidents",
      event.incident.id,
      event.incident.title,
    );
    if (event.workflow !== undefined) {
      return {
        id: event.workflow.instanceId,
        type: "incident_workflow_instance",
        summary: event.workflow.name,
        incident_workflow: this.reference(
          "incident_workflow",
          "incident_workflows",
          event.workflow.id,
          event.workflow.name,
        ),
        incident: incidentRef,
        service: this.reference(
          "service",
          "services",
          event.incident.serviceId,
          service?.name ?? event.incident.serviceId,
        ),
      };
    }
    if (event.note !== undefined) {
      return {
        incident: incidentRef,
        id: event.note.id,
        content: event.note.content,
        trimmed: false,
        type: "incident_note",
      };
    }
    const incident = event.incident;
    return {
      id: incident.id,
      type: "incident",
      self: `${this.apiBase}/incidents/${incident.id}`,
      html_url: `${this.webBase}/incidents/${incident.id}`,
      number: incident.number,
      status: incident.status,
      incident_key: incident.incidentKey ?? null,
      created_at: incident.createdAt.toISOString(),
      title: incident.title,
      service: this.reference(
        "service",
        "services",
        incident.serviceId,
        service?.name ?? incident.serviceId,
      ),
      assignees: incident.assignments.map((a) => this.userReference(a.userId)),
      escalation_policy: this.reference(
        "escalation_policy",
        "escalation_policies",
        incident.escalationPolicyId,
        incident.escalationPolicyId,
      ),
      teams: [],
      priority: null,
      urgency: incident.urgency,
      conference_bridge: null,
      resolve_reason: null,
    };
  }
}
