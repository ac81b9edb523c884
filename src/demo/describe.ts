/**
 * The demo's opening description of the world, read from the fakes: where they listen, who the
 * service is on each side, and who is on call now for each PagerDuty service.
 *
 * @module
 */

import { PLUGIN_USER, type World } from "../fakes/world.ts";

/**
 * Label/value rows: the two fakes, the service's identity on each, and where PagerDuty sends
 * responders' decisions.
 */
export function systemRows(world: World, webhookUrl: string): Array<[string, string]> {
  const bot = world.account.bot;
  return [
    [
      "Teleport",
      `fake Auth Service on ${world.auth.addr}, cluster ${world.auth.clusterName}; ` +
      `the service signs in as ${PLUGIN_USER}`,
    ],
    ["PagerDuty", `fake REST API on ${world.pagerduty.url}; the service acts as ${bot.name}`],
    [
      "Webhooks",
      `PagerDuty signs notes on "${world.account.notifyService.name}" incidents and sends them ` +
      `to ${webhookUrl}`,
    ],
  ];
}

/** Label/value rows: each PagerDuty service's on-call responders at `now`, then the others. */
export function onCallRows(world: World, now: Date = new Date()): Array<[string, string]> {
  const { account } = world.pagerduty;
  const bot = world.account.bot;
  const t = now.getTime();
  const active = account.onCalls().filter((e) =>
    (e.start === undefined || e.start.getTime() <= t) &&
    (e.end === undefined || e.end.getTime() > t)
  );
  const rows: Array<[string, string]> = account.services().map((service) => {
    const onCall = active
      .filter((e) => e.escalationPolicyId === service.escalationPolicyId)
      .sort((a, b) => a.level - b.level)
      .map((e) => `${account.user(e.userId)?.name ?? e.userId} (level ${e.level})`);
    return [service.name, onCall.length > 0 ? onCall.join(", ") : "nobody"];
  });
  const onCallIds = new Set(active.map((e) => e.userId));
  const offCall = account.users()
    .filter((u) => u.id !== bot.id && !onCallIds.has(u.id))
    .map((u) => u.name);
  if (offCall.length > 0) rows.push(["(not on call)", offCall.join(", ")]);
  return rows;
}
