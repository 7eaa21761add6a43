import { describe, expect, it } from "vitest";
import { compileArgPattern, matchArgs } from "../../src/validation/arg-pattern.js";
import { codeOf } from "../fixtures/validation-tree.js";

const compile = (...sources: string[]) => sources.map(compileArgPattern);

describe("compileArgPattern", () => {
  it("compiles literals and placeholders", () => {
    expect(compileArgPattern("log -n * {path} **").tokens).toEqual([
      { kind: "literal", value: "log" },
      { kind: "literal", value: "-n" },
      { kind: "one" },
      { kind: "path" },
      { kind: "rest" },
    ]);
  });

  it('"" compiles to no tokens', () => {
    expect(compileArgPattern("").tokens).toEqual([]);
  });

  it.each([["** x"], ["{file}"], ["{}"], ["{PATH}"], ["a  b"], [" a"], ["a "], ["*.ts"], ["**/x"]])(
    "a typo %j fails at load with POLICY_INVALID",
    (source) => {
      expect(codeOf(() => compileArgPattern(source))).toBe("POLICY_INVALID");
    },
  );
});

describe("matchArgs", () => {
  it('"" matches only no arguments', () => {
    const patterns = compile("");
    expect(matchArgs(patterns, [])).toEqual({ patternIndex: 0, pathArgs: [], wildcardArgs: [] });
    expect(matchArgs(patterns, ["x"])).toBeNull();
  });

  it("literals match exactly and in full", () => {
    const patterns = compile("status");
    expect(matchArgs(patterns, ["status"])).toEqual({ patternIndex: 0, pathArgs: [], wildcardArgs: [] });
    expect(matchArgs(patterns, ["status", "--porcelain"])).toBeNull();
    expect(matchArgs(patterns, [])).toBeNull();
  });

  it.each([["ｓtatus"], ["status\u200b"], ["%73tatus"], ["Status"], ["status "], ["'status'"]])(
    "unicode look-alike or encoded literal %j does not match",
    (arg) => {
      expect(matchArgs(compile("status"), [arg])).toBeNull();
    },
  );

  it("* matches exactly one argument, ** any number including zero", () => {
    expect(matchArgs(compile("add *"), ["add", "x"])).toEqual({
      patternIndex: 0,
      pathArgs: [],
      wildcardArgs: [1],
    });
    expect(matchArgs(compile("add *"), ["add"])).toBeNull();
    expect(matchArgs(compile("add *"), ["add", "x", "y"])).toBeNull();
    expect(matchArgs(compile("log **"), ["log"])).toEqual({
      patternIndex: 0,
      pathArgs: [],
      wildcardArgs: [],
    });
    expect(matchArgs(compile("log **"), ["log", "-n", "5"])).toEqual({
      patternIndex: 0,
      pathArgs: [],
      wildcardArgs: [1, 2],
    });
  });

  it("{path} arguments are reported for path checks", () => {
    expect(matchArgs(compile("{path} --x *"), ["a.js", "--x", "y"])).toEqual({
      patternIndex: 0,
      pathArgs: [0],
      wildcardArgs: [2],
    });
  });

  it("the first pattern that matches wins", () => {
    const patterns = compile("status", "diff **", "**");
    expect(matchArgs(patterns, ["diff", "HEAD"])?.patternIndex).toBe(1);
    expect(matchArgs(patterns, ["push"])?.patternIndex).toBe(2);
  });
});
