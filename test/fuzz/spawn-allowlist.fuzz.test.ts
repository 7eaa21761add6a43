import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCcmuxError } from "../../src/errors.js";
import { type CompiledPolicy, compilePolicy } from "../../src/validation/policy-compile.js";
import { checkSpawn } from "../../src/validation/spawn-check.js";
import { makeTree, type Tree } from "../fixtures/validation-tree.js";

const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 300);
const params = { seed: 42, numRuns: runs };

let tree: Tree;
let policy: CompiledPolicy;
beforeAll(() => {
  tree = makeTree();
  // ls-alike and rm-alike are two names of one executable (busybox-style); only ls-alike is allowed.
  policy = compilePolicy(
    {
      workspace: ["."],
      commands: [
        { command: "tool", args: ["status"] },
        { command: "ls-alike", args: ["status"] },
      ],
    },
    { baseDir: tree.ws, serverPath: tree.bin, defaultAuditPath: "/var/tmp/a.jsonl" },
  );
});
afterAll(() => tree.remove());

const LOOK_ALIKES: Record<string, string[]> = {
  t: ["ｔ", "т", "\u0074\u0336"],
  o: ["ｏ", "о", "ο", "0"],
  l: ["ｌ", "ӏ", "1", "I"],
  s: ["ｓ", "ѕ", "S"],
  a: ["ａ", "а", "α"],
  u: ["ｕ", "υ"],
};
const INVISIBLE = [
  "\u200b",
  "\u200c",
  "\u200d",
  "\u2060",
  "\ufeff",
  "\u00ad",
  "\u202e",
  "\u00a0",
  "\u3000",
  "\t",
];
const SYNTAX = [";", "|", "&", "$(id)", "`id`", "$X", "*", "#", "\n", "{a,b}", "'", '"', "\\"];

type Mutation = (line: string, at: number) => string;
const insert =
  (s: string): Mutation =>
  (line, at) =>
    line.slice(0, at) + s + line.slice(at);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom(...INVISIBLE, ...SYNTAX).map(insert),
  fc.constantFrom(...SYNTAX).map((s) => insert(`'${s}'`)),
  fc.constantFrom(...SYNTAX).map((s) => insert(`"${s}"`)),
  fc.constant<Mutation>((line, at) => {
    const c = line.charAt(at);
    const alike = LOOK_ALIKES[c];
    return alike ? line.slice(0, at) + (alike[at % alike.length] ?? c) + line.slice(at + 1) : line;
  }),
  fc.constant<Mutation>((line, at) => {
    const c = line.charAt(at);
    const hex = `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
    return c === "" ? line : line.slice(0, at) + hex + line.slice(at + 1);
  }),
  fc.constant<Mutation>((line, at) => `${line.slice(0, at)}''${line.slice(at)}`),
  fc.constant<Mutation>((line, at) => `${line.slice(0, at)}\\${line.slice(at)}`),
  fc.constant<Mutation>((line, at) => `${line.slice(0, at)} ${line.slice(at)}`),
  fc.constant<Mutation>((line, at) => line.slice(0, at) + line.slice(at).toUpperCase()),
  // null stands for the absolute path of tool, known only once the tree exists.
  fc.constantFrom("rm-alike", "ls-alike", "multi", "./tool", "../bin/tool", null).map(
    (program): Mutation =>
      (line) =>
        line.replace(/^\S+/, program ?? `${tree.bin}/tool`),
  ),
);

describe("spawn allowlist properties", () => {
  it("no mutation of `tool status` widens the allowlist: refused, or exactly an allowed argv", () => {
    const allowed = [
      [path.join(tree.bin, "tool"), "status"],
      [path.join(tree.bin, "ls-alike"), "status"],
    ];
    fc.assert(
      fc.property(fc.array(fc.tuple(mutation, fc.nat(20)), { minLength: 1, maxLength: 4 }), (steps) => {
        let line = "tool status";
        for (const [mutate, at] of steps) line = mutate(line, at % (line.length + 1));
        let argv: string[] | undefined;
        try {
          argv = checkSpawn(policy, { command: line }, { PATH: tree.bin }).argv;
        } catch (error) {
          expect(isCcmuxError(error)).toBe(true);
          return;
        }
        expect(allowed).toContainEqual(argv);
      }),
      params,
    );
  });
});
