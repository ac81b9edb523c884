/**
 * A fake PagerDuty REST API for tests, the embedded demo and the benchmark: a real HTTP server on
 * 127.0.0.1 that validates requests against PagerDuty's OpenAPI document, keeps a small account,
 * follows PagerDuty's incident rules, enforces rate limits, injects faults, records calls and sends
 * signed V3 webhooks.
 *
 * @module
 */

export {
  FakePagerDuty,
  type FakePagerDutyOptions,
  type RecordedCall,
  type TokenSpec,
  type ValidationFailure,
  type WaitOptions,
  type WebhookSubscription,
} from "./server.ts";
export type {
  AccountEvent,
  AccountRules,
  EscalationPolicyRecord,
  IncidentRecord,
  IncidentStatusValue,
  NoteRecord,
  OnCallInput,
  OnCallRecord,
  PriorityRecord,
  ScheduleRecord,
  ServiceRecord,
  UpdateIncidentInput,
  UserRecord,
  WorkflowRunRecord,
} from "./state.ts";
export {
  type ActionDelivery,
  CUSTOM_ACTION_TIMEOUT_MS,
  type CustomAction,
  customActionPayload,
  sendCustomAction,
} from "./actions.ts";
export { DEDUP_MESSAGE, MISSING_FROM_MESSAGE, type PdErrorBody } from "./errors.ts";
export {
  CUSTOM_ACTION_SCHEMA,
  type ExtensionRecord,
  type ExtensionSchemaRecord,
  type IncidentWorkflowRecord,
  Integrations,
  type WebhookSubscriptionRecord,
  type WorkflowTriggerRecord,
} from "./integrations.ts";
export {
  annotatedEvent,
  type DeliveryAttempt,
  type DeliveryResult,
  eventEnvelope,
  pingEvent,
  type SendWebhookOptions,
  signatureHeader,
  signBody,
  type WebhookEvent,
  workflowStartedEvent,
} from "./webhooks.ts";
export { type DemoAccount, seedDemo } from "./seed.ts";
