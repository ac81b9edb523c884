/**
 * What `setup-pagerduty` did, would do (dry run) or leaves to the operator, and how it prints.
 * The report crosses from the worker to the supervisor thread, so it is plain data; it never
 * holds a secret, only the files they are in.
 *
 * @module
 */

import { type Decision, DECISIONS, WORKFLOW_KEYS, WORKFLOW_NAMES } from "./endpoints.ts";

/** How one item went. */
export type Mark =
  /** Already as it should be. */
  | "ok"
  /** Created or changed now. */
  | "changed"
  /** Would be created or changed (dry run). */
  | "planned"
  /** Not set up, and nothing to do about it (feature not offered, not configured). */
  | "skipped"
  /** Left to the operator: the steps are printed. */
  | "manual"
  /** The config must change first. */
  | "config"
  | "failed";

/** One line of the report. */
export interface ReportLine {
  readonly mark: Mark;
  readonly text: string;
}

/** Steps to do by hand in the PagerDuty web app. */
export interface ManualTask {
  readonly title: string;
  readonly steps: readonly string[];
}

/** Everything `setup-pagerduty` reports. */
export interface SetupReport {
  readonly dryRun: boolean;
  readonly publicAddr: string;
  readonly lines: readonly ReportLine[];
  readonly manual: readonly ManualTask[];
  /** The workflow IDs to configure, by decision (existing, or created now). */
  readonly workflowIds: Readonly<Record<Decision, readonly string[]>>;
  /** Whether workflows are used at all (false when the account has none, or they were refused). */
  readonly workflowsInUse: boolean;
  /** Secret files written by this run. */
  readonly secretsWritten: readonly string[];
}

/** The report's verdict, which decides the exit code. */
export type Outcome = "done" | "failed" | "config" | "manual";

/** Failed beats a config problem, which beats manual steps. */
export function outcome(report: SetupReport): Outcome {
  if (report.lines.some((l) => l.mark === "failed")) return "failed";
  if (report.lines.some((l) => l.mark === "config")) return "config";
  if (report.manual.length > 0) return "manual";
  return "done";
}

const MARKS: Readonly<Record<Mark, string>> = {
  ok: "✓",
  changed: "+",
  planned: "→",
  skipped: "-",
  manual: "!",
  config: "✗",
  failed: "✗",
};

/** The report as text: the lines, the workflow IDs for the config, the manual steps, what next. */
export function formatReport(report: SetupReport): string {
  const out: string[] = [
    `Setting up approve/deny from PagerDuty at ${report.publicAddr}${
      report.dryRun ? " (dry run: nothing is changed)" : ""
    }:`,
  ];
  for (const line of report.lines) out.push(`${MARKS[line.mark]} ${line.text}`);
  if (report.workflowsInUse) {
    out.push("", "Put the workflow IDs in the config:", "[pagerduty.reviews]");
    for (const d of DECISIONS) {
      const ids = report.workflowIds[d];
      out.push(
        ids.length > 0
          ? `${WORKFLOW_KEYS[d]} = [${ids.map((id) => JSON.stringify(id)).join(", ")}]`
          : `# ${WORKFLOW_KEYS[d]} = ["<ID of the workflow ${WORKFLOW_NAMES[d]}, once it exists>"]`,
      );
    }
  }
  if (report.manual.length > 0) {
    out.push("", "To do by hand in the PagerDuty web app:");
    report.manual.forEach((task, i) => {
      out.push(`${i + 1}. ${task.title}`);
      for (const step of task.steps) out.push(`   - ${step}`);
    });
  }
  const result = outcome(report);
  out.push("");
  if (report.dryRun) {
    out.push(
      result === "done"
        ? "Run again without --dry-run to apply."
        : "Run again without --dry-run to apply what can be applied.",
    );
  } else if (result === "done") {
    out.push(
      report.secretsWritten.length > 0
        ? `Done. Restart teleport-pagerduty so it reads the new secret${
          report.secretsWritten.length > 1 ? "s" : ""
        } (${report.secretsWritten.join(", ")}).`
        : "Done.",
    );
  } else if (result === "manual") {
    out.push("Do the steps above, then run setup-pagerduty again to check.");
  } else {
    out.push("Fix what is marked ✗, then run setup-pagerduty again.");
  }
  return out.join("\n") + "\n";
}
