import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errors.js";

describe("error codes are documented", () => {
  it("the README's error-code table lists every code the server can return, and no other", () => {
    const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Error codes"), readme.indexOf("## Audit log"));
    const listed = [...section.matchAll(/^\|\s*`([A-Z_]+)`\s*\|/gm)].map((match) => match[1]);
    expect([...listed].sort()).toEqual([...ERROR_CODES].sort());
  });
});
