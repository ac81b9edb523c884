/**
 * The result lines of `teleport-pagerduty check`, and how they print.
 *
 * @module
 */

/** How one check went. `warn` does not fail the run; `fail` does. */
export type CheckStatus = "ok" | "warn" | "fail";

/** One line of the checklist. */
export interface CheckItem {
  readonly status: CheckStatus;
  /** What was checked, e.g. "PagerDuty accepts the API key". */
  readonly title: string;
  /** What was found (a version, a count), or why it failed. */
  readonly detail?: string;
  /** What to do about a `fail` or `warn`. */
  readonly fix?: string;
}

const MARKS: Readonly<Record<CheckStatus, string>> = { ok: "✓", warn: "⚠", fail: "✗" };

/** The checklist as text: one line per item, with its detail and fix indented below it. */
export function formatChecklist(items: readonly CheckItem[]): string {
  const lines: string[] = [];
  for (const item of items) {
    lines.push(`${MARKS[item.status]} ${item.title}${item.detail ? `: ${item.detail}` : ""}`);
    if (item.fix && item.status !== "ok") lines.push(`    fix: ${item.fix}`);
  }
  const failed = items.filter((i) => i.status === "fail").length;
  const warned = items.filter((i) => i.status === "warn").length;
  lines.push(
    failed === 0
      ? `All ${items.length} checks passed${warned > 0 ? ` (${warned} with warnings)` : ""}.`
      : `${failed} of ${items.length} checks failed.`,
  );
  return lines.join("\n") + "\n";
}

/** Whether every item passed (warnings allowed). */
export function allPassed(items: readonly CheckItem[]): boolean {
  return items.every((i) => i.status !== "fail");
}
