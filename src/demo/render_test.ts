import assert from "node:assert/strict";
import { relativeTime, renderEntries, renderRows, style } from "./render.ts";
import type { TimelineEntry } from "./timeline.ts";

const START = Date.UTC(2026, 0, 1);

const ENTRIES: TimelineEntry[] = [
  {
    at: START + 5,
    seq: 0,
    side: "teleport",
    actor: { kind: "person", name: "erin@example.com" },
    text: "created request …0000abcd for roles editor",
  },
  {
    at: START + 1234,
    seq: 1,
    side: "pagerduty",
    actor: { kind: "service" },
    text: "added a note to incident #1:",
    detail: ["first line", "second line"],
  },
  {
    at: START + 1240,
    seq: 2,
    side: "teleport",
    actor: { kind: "person", name: "someone-with-a-very-long-name@example.com" },
    text: "reviewed request",
  },
];

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
// deno-lint-ignore no-control-regex
const HAS_ANSI = /\x1b\[[0-9;]*m/;

Deno.test("relative times are seconds since the start with millisecond precision", () => {
  assert.equal(relativeTime(START + 42, START), "+0.042s");
  assert.equal(relativeTime(START + 12_345, START), "+12.345s");
  // An entry stamped a hair before the start (another clock) is not shown as negative.
  assert.equal(relativeTime(START - 3, START), "+0.000s");
});

Deno.test("entries line up in columns, details sit under the text, long names are cut", () => {
  const lines = renderEntries(ENTRIES, START, style(false));
  assert.deepEqual(lines.map((l) => l.replace(/ +$/, "")), [
    "   +0.005s  Teleport   erin@example.com    created request …0000abcd for roles editor",
    "   +1.234s  PagerDuty  service             added a note to incident #1:",
    "                                           │ first line",
    "                                           │ second line",
    "   +1.240s  Teleport   someone-with-a-ve…  reviewed request",
  ]);
  const textColumn = lines[0].indexOf("created");
  assert.equal(lines[1].indexOf("added"), textColumn);
  assert.equal(lines[2].indexOf("│"), textColumn);
});

Deno.test("colour adds only ANSI styles: without them the lines are the plain ones", () => {
  const plain = renderEntries(ENTRIES, START, style(false));
  const coloured = renderEntries(ENTRIES, START, style(true));
  assert.ok(coloured.every((line) => HAS_ANSI.test(line)), "every line is styled");
  assert.deepEqual(coloured.map((line) => line.replace(ANSI, "")), plain);
  assert.ok(!plain.some((line) => line.includes("\x1b")));
  // The service is the one actor that stands out.
  assert.ok(coloured[1].includes("\x1b[1;36mservice"));
  assert.ok(!coloured[0].includes("\x1b[1;36m"));
});

Deno.test("rows pad their labels to the longest", () => {
  assert.deepEqual(renderRows([["A", "one"], ["Longer", "two"]], style(false)), [
    "  A       one",
    "  Longer  two",
  ]);
});
