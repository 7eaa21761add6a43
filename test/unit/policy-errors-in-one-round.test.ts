import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCcmuxError } from "../../src/errors.js";
import { positionOfPath, scanJson } from "../../src/validation/json-source.js";
import { compilePolicy } from "../../src/validation/policy-compile.js";
import { makeTree, type Tree } from "../fixtures/validation-tree.js";

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => tree.remove());

function refusal(raw: unknown): { errors: { path: string; message: string }[]; warnings: string[] } {
  try {
    compilePolicy(raw, { baseDir: tree.ws, serverPath: tree.bin, defaultAuditPath: "/var/tmp/a.jsonl" });
  } catch (error) {
    if (isCcmuxError(error) && error.code === "POLICY_INVALID") return error.data as never;
    throw error;
  }
  throw new Error("the policy was accepted");
}

describe("schema and meaning errors come in one round", () => {
  it("a schema error in one rule does not hide a bad pattern in the next, named by the file's index", () => {
    const { errors, warnings } = refusal({
      workspace: ["."],
      commands: [
        { command: "tool", args: ["status"], shell: true },
        { command: "tool", input: "sometimes" },
        { command: "tool", args: ["{bogus}"] },
        { command: "not-installed-anywhere" },
      ],
      env: { pass: ["PATH", 7, "GITHUB_TOKEN"], fromAgent: ["LD_PRELOAD"] },
      limits: { maxPanes: "many" },
    });
    const paths = errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "commands[0]",
        "commands[1].input",
        "env.pass[1]",
        "limits.maxPanes",
        "commands[2].args[0]",
        "env.fromAgent[0]",
      ]),
    );
    expect(paths).toHaveLength(6);
    // Warnings of the parts that parsed come along, numbered as in the file.
    expect(warnings.join("\n")).toContain("commands[3]: ");
    expect(warnings.join("\n")).toContain("not-installed-anywhere");
    expect(warnings.join("\n")).toContain("env.pass[2]: GITHUB_TOKEN");
  });

  it("a workspace that does not parse still lets the rest be checked", () => {
    const { errors } = refusal({ workspace: "ws", commands: [{ command: "tool", args: ["{nope}"] }] });
    expect(errors.map((e) => e.path)).toEqual(["workspace", "commands[0].args[0]"]);
  });

  it("a policy that is not an object at all gets one error, not a crash", () => {
    expect(refusal([1, 2]).errors.map((e) => e.path)).toEqual([""]);
    expect(refusal(null).errors).toHaveLength(1);
  });

  it("the audit log directly in a workspace root is a policy error, found by every command", () => {
    const { errors } = refusal({ workspace: ["."], audit: { path: "audit.jsonl" } });
    expect(errors).toEqual([
      expect.objectContaining({ path: "audit.path", message: expect.stringContaining("lies directly in") }),
    ]);
  });
});

describe("positions in the policy file", () => {
  it.each([
    ['{\n  "workspace": ["."],\n}\n', 3, 1, "no trailing commas"],
    ['{\n  "workspace": [".",\n  ]\n}', 3, 3, "a value"],
    ['{\n  "workspace": tru\n}', 2, 19, '"true"'],
    ['{\n  "a": 1 // note\n}', 2, 10, '"," or "}"'],
    ["{'workspace': 1}", 1, 2, "double quotes"],
    ['{"a": "x\ty"}', 1, 9, "must be escaped"],
    ['{"a": 1', 1, 8, "the end of the file"],
    ["", 1, 1, "a value"],
    ['{"a":1}}', 1, 8, "the end of the file after the value"],
  ])("%j: line %i column %i", (text, line, column, words) => {
    const scan = scanJson(text);
    expect(scan.error).toMatchObject({ line, column });
    expect(scan.error?.message).toContain(words);
  });

  it("finds where a value starts, or its nearest ancestor", () => {
    const text = '{\n  "commands": [\n    { "command": "x",\n      "args": ["{bad}"] }\n  ]\n}';
    const scan = scanJson(text);
    if (scan.error) throw new Error(scan.error.message);
    expect(positionOfPath(text, scan.starts, "commands[0].args[0]")).toEqual({ line: 4, column: 16 });
    expect(positionOfPath(text, scan.starts, "commands[0].shell")).toEqual({ line: 3, column: 5 });
    expect(positionOfPath(text, scan.starts, "limits.maxPanes")).toEqual({ line: 1, column: 1 });
  });

  it("accepts exactly what JSON.parse accepts (property)", () => {
    const texts = fc.oneof(
      fc.json().map((json) => json),
      fc
        .json()
        .chain((json) =>
          fc
            .tuple(
              fc.nat(json.length),
              fc.constantFrom("", ",", "}", "]", '"', "\\", "\t", "0", "-", "e", " ", "\n"),
            )
            .map(([at, insert]) => json.slice(0, at) + insert + json.slice(at + 1)),
        ),
    );
    fc.assert(
      fc.property(texts, (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        expect(scanJson(text).error === undefined).toBe(parses);
      }),
      { seed: 11, numRuns: Number(process.env.CCMUX_FUZZ_RUNS ?? 2000) },
    );
  });
});
