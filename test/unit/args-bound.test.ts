import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { argsOverBound, digestJson, MAX_ARGS_DEPTH } from "../../src/tools/args-bound.js";

function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

describe("argument bounds (stack overflow in redaction left no audit record)", () => {
  it("arguments nested 20 000 deep are caught without recursion", () => {
    const over = argsOverBound({ x: nested(20_000) });
    expect(over).toMatchObject({ unlogged: "too-deep", depth: MAX_ARGS_DEPTH + 1 });
    expect(over?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("arguments up to the bound pass", () => {
    expect(argsOverBound(nested(MAX_ARGS_DEPTH))).toBeNull();
    expect(argsOverBound({ command: "ls", env: { A: "1" } })).toBeNull();
  });

  it("too many values are caught too", () => {
    expect(argsOverBound({ many: Array.from({ length: 30_000 }, (_, i) => i) })).toMatchObject({
      unlogged: "too-many-values",
    });
  });

  it("too deep for JSON.stringify, the digest is still that of the same text", () => {
    const depth = 200_000;
    const deep = JSON.parse(`${"[".repeat(depth)}1${"]".repeat(depth)}`);
    const text = `${"[".repeat(depth)}1${"]".repeat(depth)}`;
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(digestJson(deep)).toEqual({
      bytes: text.length,
      sha256: createHash("sha256").update(text).digest("hex"),
    });
  });

  it("the digest is the SHA-256 of JSON.stringify of the arguments, so a reviewer can recompute it", () => {
    const value = { b: [1, "two", null, { d: true, u: undefined }], a: "x\u2028é" };
    const text = JSON.stringify(value);
    expect(digestJson(value)).toEqual({
      bytes: Buffer.byteLength(text),
      sha256: createHash("sha256").update(text).digest("hex"),
    });
  });
});
