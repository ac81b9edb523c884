/**
 * A realistic small PagerDuty account for the demo and for end-to-end tests: a bot user for the
 * integration's `From`, responders on schedules with current and next shifts, escalation policies
 * with two levels, a notification service for access requests and two services to be on call for.
 *
 * @module
 */

import type { FakePagerDuty } from "./server.ts";
import type { EscalationPolicyRecord, ScheduleRecord, ServiceRecord, UserRecord } from "./state.ts";

/** What {@link seedDemo} created. */
export interface DemoAccount {
  /** The integration's identity: use its email as `From` (`user_email` in the config). */
  readonly bot: UserRecord;
  /** On call now at level 1 of the Platform policy (via the "Platform Primary" schedule). */
  readonly alice: UserRecord;
  /** Next on call on "Platform Primary" (shift starts in 8 hours). */
  readonly bob: UserRecord;
  /** Level 2 of the Platform policy, permanently (a manager). */
  readonly carol: UserRecord;
  /** On call now for Databases. */
  readonly dave: UserRecord;
  /** In the account but never on call. */
  readonly erin: UserRecord;
  /** Where access-request incidents are opened ("Teleport Access Requests"). */
  readonly notifyService: ServiceRecord;
  /** "Platform": on-call checks for the platform team. */
  readonly platformService: ServiceRecord;
  /** "Databases": on-call checks for the database team. */
  readonly databaseService: ServiceRecord;
  readonly platformPolicy: EscalationPolicyRecord;
  readonly databasePolicy: EscalationPolicyRecord;
  readonly approversPolicy: EscalationPolicyRecord;
  readonly platformSchedule: ScheduleRecord;
  readonly databaseSchedule: ScheduleRecord;
}

const HOUR = 3600 * 1000;

/** Seeds `pd` with the demo account; shifts are placed around `now` (default: the current time). */
export function seedDemo(pd: FakePagerDuty, now: Date = new Date()): DemoAccount {
  const t = now.getTime();
  const bot = pd.addUser({
    name: "Teleport Access Bot",
    email: "teleport-bot@example.com",
    role: "limited_user",
  });
  const alice = pd.addUser({ name: "Alice Anderson", email: "alice@example.com" });
  const bob = pd.addUser({ name: "Bob Brown", email: "bob@example.com" });
  const carol = pd.addUser({ name: "Carol Chen", email: "carol@example.com", role: "manager" });
  const dave = pd.addUser({ name: "Dave Davis", email: "dave@example.com" });
  const erin = pd.addUser({ name: "Erin Evans", email: "erin@example.com" });

  const platformSchedule = pd.addSchedule({ name: "Platform Primary" });
  const databaseSchedule = pd.addSchedule({ name: "Database Primary" });

  const platformPolicy = pd.addEscalationPolicy({ name: "Platform On-Call", numLoops: 1 });
  pd.putOnCall({
    userId: alice.id,
    escalationPolicyId: platformPolicy.id,
    level: 1,
    scheduleId: platformSchedule.id,
    start: new Date(t - 4 * HOUR),
    end: new Date(t + 8 * HOUR),
  });
  pd.putOnCall({
    userId: bob.id,
    escalationPolicyId: platformPolicy.id,
    level: 1,
    scheduleId: platformSchedule.id,
    start: new Date(t + 8 * HOUR),
    end: new Date(t + 20 * HOUR),
  });
  pd.putOnCall({ userId: carol.id, escalationPolicyId: platformPolicy.id, level: 2 });

  const databasePolicy = pd.addEscalationPolicy({ name: "Database On-Call" });
  pd.putOnCall({
    userId: dave.id,
    escalationPolicyId: databasePolicy.id,
    level: 1,
    scheduleId: databaseSchedule.id,
    start: new Date(t - 2 * HOUR),
    end: new Date(t + 22 * HOUR),
  });

  const approversPolicy = pd.addEscalationPolicy({
    name: "Access Approvers",
    levels: [{ userIds: [carol.id] }],
  });

  const notifyService = pd.addService({
    name: "Teleport Access Requests",
    escalationPolicyId: approversPolicy.id,
  });
  const platformService = pd.addService({
    name: "Platform",
    escalationPolicyId: platformPolicy.id,
  });
  const databaseService = pd.addService({
    name: "Databases",
    escalationPolicyId: databasePolicy.id,
    urgency: "low",
  });

  return {
    bot,
    alice,
    bob,
    carol,
    dave,
    erin,
    notifyService,
    platformService,
    databaseService,
    platformPolicy,
    databasePolicy,
    approversPolicy,
    platformSchedule,
    databaseSchedule,
  };
}
