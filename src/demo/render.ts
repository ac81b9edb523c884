/**
 * Turns timeline entries into aligned text: time since the scenario started, the side, who
 * acted, and what happened, with details indented beneath. ANSI colour only when asked for
 * (the CLI asks when stdout is a terminal and NO_COLOR is unset).
 *
 * @module
 */

import type { Actor, Side, TimelineEntry } from "./timeline.ts";

/** ANSI styles, or none. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  side(side: Side, text: string): string;
  actor(actor: Actor, text: string): string;
  ok(text: string): string;
  fail(text: string): string;
}

const ESC = "\x1b[";

function sgr(code: string, text: string): string {
  return `${ESC}${code}m${text}${ESC}0m`;
}

/** Styles that colour when `color` is true and leave text untouched otherwise. */
export function style(color: boolean): Style {
  if (!color) {
    const plain = (text: string) => text;
    return {
      bold: plain,
      dim: plain,
      side: (_side, text) => text,
      actor: (_actor, text) => text,
      ok: plain,
      fail: plain,
    };
  }
  return {
    bold: (text) => sgr("1", text),
    dim: (text) => sgr("2", text),
    side: (side, text) => sgr(side === "teleport" ? "35" : "32", text),
    actor: (actor, text) => actor.kind === "service" ? sgr("1;36", text) : text,
    ok: (text) => sgr("32", text),
    fail: (text) => sgr("1;31", text),
  };
}

const SIDE_LABEL: Readonly<Record<Side, string>> = {
  teleport: "Teleport",
  pagerduty: "PagerDuty",
};

/** Width of the time column, e.g. "+12.345s". */
const TIME_WIDTH = 8;
const SIDE_WIDTH = 9;
/** Actor names longer than this are cut; the demo's are shorter. */
const ACTOR_WIDTH = 18;
const INDENT = "  ";

/** The actor's name as shown: the service is called "service". */
export function actorName(actor: Actor): string {
  switch (actor.kind) {
    case "service":
      return "service";
    case "teleport":
      return "Teleport";
    case "pagerduty":
      return "PagerDuty";
    case "person":
      return actor.name;
  }
}

/** Seconds since `start`, e.g. "+0.042s". */
export function relativeTime(at: number, start: number): string {
  return `+${(Math.max(0, at - start) / 1000).toFixed(3)}s`;
}

/** The lines of `entries`, times relative to `start` (ms since the epoch). */
export function renderEntries(
  entries: readonly TimelineEntry[],
  start: number,
  s: Style,
): string[] {
  const detailIndent = " ".repeat(INDENT.length + TIME_WIDTH + SIDE_WIDTH + ACTOR_WIDTH + 6);
  const lines: string[] = [];
  for (const entry of entries) {
    const name = clip(actorName(entry.actor), ACTOR_WIDTH);
    lines.push(
      INDENT +
        s.dim(relativeTime(entry.at, start).padStart(TIME_WIDTH)) + "  " +
        s.side(entry.side, SIDE_LABEL[entry.side].padEnd(SIDE_WIDTH)) + "  " +
        s.actor(entry.actor, name.padEnd(ACTOR_WIDTH)) + "  " +
        entry.text,
    );
    for (const line of entry.detail ?? []) lines.push(s.dim(`${detailIndent}│ ${line}`));
  }
  return lines;
}

/** Two-column rows ("label  value"), labels padded to the longest. */
export function renderRows(rows: ReadonlyArray<readonly [string, string]>, s: Style): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${INDENT}${s.bold(label.padEnd(width))}  ${value}`);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
