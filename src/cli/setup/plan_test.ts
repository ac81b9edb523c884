import assert from "node:assert/strict";
import type { WebhookSubscription } from "../../pagerduty/setup_types.ts";
import { endpoints, subscriptionDescription, WEBHOOK_EVENTS } from "./endpoints.ts";
import { planActions, planSubscriptions, planWorkflows } from "./plan.ts";

const URLS = endpoints("https://tp.example.com");
const A = { id: "PA", name: "A" };
const B = { id: "PB", name: "B" };

function sub(fields: Partial<WebhookSubscription> & { serviceId: string }): WebhookSubscription {
  return {
    id: `S-${fields.serviceId}`,
    url: URLS.webhookUrl,
    description: "",
    events: WEBHOOK_EVENTS,
    filter: { kind: "service", serviceId: fields.serviceId },
    active: true,
    temporarilyDisabled: false,
    ...fields,
  };
}

Deno.test("new subscriptions take free files in config order, never one a subscription names", () => {
  const named = sub({ serviceId: "PX", description: subscriptionDescription("/f1") });
  const steps = planSubscriptions({
    services: [A, B],
    endpoints: URLS,
    // /f1 is empty but claimed by a subscription of another service that is also ours.
    existing: new Map([["PA", []], ["PB", [named]]]),
    secretFiles: [
      { path: "/f0", state: "filled" },
      { path: "/f1", state: "empty" },
      { path: "/f2", state: "missing" },
    ],
  });
  assert.deepEqual(steps.map((s) => [s.kind, "secretFile" in s ? s.secretFile : undefined]), [
    ["create", "/f2"],
    ["recreate", "/f1"],
  ]);
});

Deno.test("order-insensitive event comparison; someone else's subscription is ignored", () => {
  const steps = planSubscriptions({
    services: [A],
    endpoints: URLS,
    existing: new Map([["PA", [
      sub({ serviceId: "PA", events: [...WEBHOOK_EVENTS].reverse() }),
      sub({ serviceId: "PA", id: "OTHER", url: "https://other.example.com/" }),
    ]]]),
    secretFiles: [],
  });
  assert.deepEqual(steps.map((s) => s.kind), ["ok"]);
});

Deno.test("a subscription made by hand (no file named) is left alone when its events are right", () => {
  const steps = planSubscriptions({
    services: [A],
    endpoints: URLS,
    existing: new Map([["PA", [sub({ serviceId: "PA", description: "made by hand" })]]]),
    secretFiles: [{ path: "/f0", state: "missing" }],
  });
  assert.deepEqual(steps.map((s) => s.kind), ["ok"]);
});

Deno.test("workflows: an enabled one is preferred, and a trigger on all services covers every service", () => {
  const off = { id: "W0", name: "Approve access request", enabled: false, htmlUrl: "" };
  const on = { id: "W1", name: "Approve access request", enabled: true, htmlUrl: "" };
  const steps = planWorkflows({
    services: [A, B],
    found: {
      approve: [
        { workflow: off, triggers: [] },
        {
          workflow: on,
          triggers: [{ id: "T", workflowId: "W1", serviceIds: [], allServices: true }],
        },
      ],
      deny: [],
    },
  });
  assert.deepEqual(steps.map((s) => [s.kind, "workflow" in s ? s.workflow.id : undefined]), [
    ["ok", "W1"],
    ["create", undefined],
  ]);
});

Deno.test("actions: a hidden header value is not compared, unless the secret is new", () => {
  const extension = {
    id: "E",
    name: "Approve request",
    endpointUrl: URLS.actionUrls.approve,
    schemaId: "PCUSTOM",
    serviceIds: ["PA"],
    headers: [{ name: "x-teleport-action-secret", value: undefined }],
  };
  const existing = new Map([["PA", [extension]]]);
  const known = planActions({ services: [A], endpoints: URLS, existing, secret: "s" });
  assert.deepEqual(known.map((s) => s.kind), ["ok", "create"]);
  assert.equal(known[0].kind === "ok" && known[0].headerUnverified, true);
  const fresh = planActions({
    services: [A],
    endpoints: URLS,
    existing,
    secret: undefined,
    secretFile: "/as",
  });
  assert.deepEqual(fresh.map((s) => s.kind), ["generate-secret", "update", "create"]);
});

Deno.test("subscriptions this command made for another address are reported, not touched", () => {
  const old = sub({
    serviceId: "PA",
    id: "OLD",
    url: "https://old.example.com/pagerduty/webhook",
    description: subscriptionDescription("/f-old"),
  });
  const foreign = sub({ serviceId: "PA", id: "FOREIGN", url: "https://other.example.com/" });
  const steps = planSubscriptions({
    services: [A],
    endpoints: URLS,
    existing: new Map([["PA", [old, foreign]]]),
    secretFiles: [{ path: "/f0", state: "missing" }],
  });
  assert.deepEqual(steps.map((s) => s.kind), ["create", "elsewhere"]);
  assert.deepEqual(steps[1].kind === "elsewhere" && steps[1].subscriptions.map((s) => s.id), [
    "OLD",
  ]);
});
