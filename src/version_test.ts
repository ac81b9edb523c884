import assert from "node:assert/strict";
import { VERSION } from "./version.ts";

Deno.test("VERSION matches package.json and deno.json", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(new URL("../package.json", import.meta.url)));
  const deno = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.equal(pkg.version, VERSION);
  assert.equal(deno.version, VERSION);
});
