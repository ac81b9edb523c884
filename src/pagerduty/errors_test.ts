import assert from "node:assert/strict";
import { parseErrorBody, statusError } from "./errors.ts";
import { PagerDutyError } from "./types.ts";

Deno.test("parseErrorBody reads PagerDuty's error in every shape it comes in", () => {
  assert.deepEqual(
    parseErrorBody(
      '{"error":{"message":"Invalid Input Provided","code":2001,"errors":["Title is missing"]}}',
    ),
    { code: 2001, message: "Invalid Input Provided", errors: ["Title is missing"] },
  );
  assert.deepEqual(
    parseErrorBody('{"error":{"message":"Rate Limit Exceeded","code":2020}}'),
    { code: 2020, message: "Rate Limit Exceeded", errors: [] },
  );
  assert.deepEqual(
    parseErrorBody(
      '{"error":{"code":"2001","errors":{"name":["is taken","too long"],"type":"wrong"}}}',
    ),
    {
      code: 2001,
      message: undefined,
      errors: ["name: is taken", "name: too long", "type: wrong"],
    },
  );
  assert.deepEqual(parseErrorBody("<html>Bad Gateway</html>"), {
    code: undefined,
    message: undefined,
    errors: [],
  });
  assert.deepEqual(parseErrorBody('{"message":"Not Found"}').message, "Not Found");
  assert.deepEqual(parseErrorBody("null"), { code: undefined, message: undefined, errors: [] });
  const huge = parseErrorBody(JSON.stringify({ error: { errors: ["x".repeat(10_000)] } }));
  assert.ok(huge.errors[0].length < 1_000, "a huge detail is clipped");
});

Deno.test("statusError writes one sentence naming what to fix for each status", () => {
  const body = { code: 2006, message: "Authentication failed", errors: [] };
  const cases: Array<[number, RegExp]> = [
    [401, /rejected the API key.*check pagerduty\.api_key/],
    [403, /write access in pagerduty\.api_key/],
    [402, /lacks a required ability/],
    [404, /found nothing for GET \/services\/\{id\}/],
    [429, /kept rate-limiting.*3 attempts.*pagerduty\.rate_limit_per_minute/],
    [503, /failed GET \/services\/\{id\}.*3 attempts.*repeated later/],
    [400, /rejected GET \/services\/\{id\} \(400, code 2006 "Authentication failed"\)/],
  ];
  for (const [status, message] of cases) {
    const error = statusError({
      operation: "GET /services/{id}",
      status,
      body,
      attemptCount: 3,
    });
    assert.ok(error instanceof PagerDutyError);
    assert.equal(error.status, status);
    assert.equal(error.code, 2006);
    assert.equal(error.operation, "GET /services/{id}");
    assert.match(error.message, message, String(status));
    assert.equal(error.message.split(/[.!?]\s+[A-Z]/).length, 1, "one sentence");
  }
});

Deno.test("a 400 about the From header points at pagerduty.user_email", () => {
  const error = statusError({
    operation: "POST /incidents",
    status: 400,
    body: {
      code: 2001,
      message: "Invalid Input Provided",
      errors: ['You must specify a user\'s email address in the "From" header'],
    },
    attemptCount: 1,
  });
  assert.match(error.message, /pagerduty\.user_email/);
  assert.deepEqual(error.errors, ['You must specify a user\'s email address in the "From" header']);
});

Deno.test("a flood of error details is cut to a few, with how many more there were", () => {
  const body = parseErrorBody(
    JSON.stringify({ error: { message: "Invalid", errors: Array(100_000).fill("bad field") } }),
  );
  assert.equal(body.errors.length, 11);
  assert.equal(body.errors.at(-1), "and 99990 more");
  const deep = parseErrorBody(
    JSON.stringify({ error: { errors: JSON.parse("[".repeat(5_000) + "]".repeat(5_000)) } }),
  );
  assert.deepEqual(deep.errors, []);
  const error = statusError({ operation: "POST /incidents", status: 400, body, attemptCount: 1 });
  assert.ok(error.message.length < 2_000, `${error.message.length} characters`);
});

Deno.test("a long error detail is cut between characters, never inside an emoji", () => {
  const body = parseErrorBody(JSON.stringify({ error: { message: "\u{1F600}".repeat(400) } }));
  assert.ok(body.message!.isWellFormed());
  assert.ok(body.message!.endsWith("\u{1F600}…"));
});
