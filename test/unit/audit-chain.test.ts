import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, GENESIS, recordHash, seal } from "../../src/audit/audit-chain.js";

describe("audit chain", () => {
  it("canonical JSON does not depend on key order and round-trips", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
        expect(JSON.parse(canonicalJson(object))).toEqual(JSON.parse(JSON.stringify(object)));
      }),
      { seed: 42, numRuns: Number(process.env.CCMUX_FUZZ_RUNS ?? 300) },
    );
  });

  it("each sealed record links to the one before and any change to it changes its hash", () => {
    const first = seal({ event: "header", nonce: "n" }, { seq: 0, hash: GENESIS });
    const second = seal({ event: "call", tool: "spawn", decision: "deny" }, first.state);
    expect(second.record).toMatchObject({ seq: 2, prev: first.state.hash });
    expect(recordHash(second.record)).toBe(second.record.hash);
    expect(recordHash({ ...second.record, decision: "allow" })).not.toBe(second.record.hash);
    expect(recordHash({ ...second.record, prev: GENESIS })).not.toBe(second.record.hash);
  });
});
