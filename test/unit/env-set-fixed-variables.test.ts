import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCcmuxError } from "../../src/errors.js";
import { buildChildEnv, isHookName } from "../../src/validation/env-filter.js";
import { compilePolicy } from "../../src/validation/policy-compile.js";
import { describePolicy, summarizePolicy } from "../../src/validation/policy-describe.js";
import { codeOf, makeTree, type Tree } from "../fixtures/validation-tree.js";

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => tree.remove());

function compile(env: unknown, extra: Record<string, unknown> = {}) {
  return compilePolicy(
    { workspace: ["."], commands: [{ command: "tool", args: ["**"] }], env, ...extra },
    { baseDir: tree.ws, serverPath: tree.bin, defaultAuditPath: "/var/tmp/ccmux-audit.jsonl" },
  );
}

function errorsOf(env: unknown, extra: Record<string, unknown> = {}): { path: string; message: string }[] {
  try {
    compile(env, extra);
  } catch (error) {
    if (isCcmuxError(error) && error.code === "POLICY_INVALID") {
      return error.data.errors as { path: string; message: string }[];
    }
    throw error;
  }
  throw new Error("the policy was accepted");
}

const SECRET = "value-only-the-person-knows-4711";

function child(over: Partial<Parameters<typeof buildChildEnv>[0]> = {}) {
  return buildChildEnv({
    serverEnv: { PATH: "/usr/bin", PAGER: "less", GIT_PAGER: "delta" },
    pass: ["PATH"],
    passSecrets: [],
    fromAgent: [],
    agentEnv: undefined,
    set: {},
    term: "xterm-256color",
    ...over,
  });
}

describe("pager defaults", () => {
  it("every pane gets PAGER=cat and GIT_PAGER=cat", () => {
    expect(child()).toMatchObject({ PAGER: "cat", GIT_PAGER: "cat" });
  });

  it("env.pass does not bring the server's pager back; the policy warns and points at env.set", () => {
    expect(child({ pass: ["PATH", "PAGER", "GIT_PAGER"] })).toMatchObject({ PAGER: "cat", GIT_PAGER: "cat" });
    const policy = compile({ pass: ["PATH", "PAGER"] });
    expect(policy.warnings.join("\n")).toMatch(/env\.pass\[1\]: PAGER is not passed.*env\.set/);
  });

  it("env.set chooses another pager; the other default stays", () => {
    expect(child({ set: { GIT_PAGER: "less -R" } })).toMatchObject({ PAGER: "cat", GIT_PAGER: "less -R" });
  });
});

describe("env.set: fixed variables the agent cannot change", () => {
  it("reaches the child over env.pass and the agent's variables", () => {
    const env = child({
      serverEnv: { PATH: "/usr/bin", DEPLOY_STAGE: "server" },
      pass: ["PATH", "DEPLOY_STAGE"],
      set: { DEPLOY_STAGE: "person" },
    });
    expect(env.DEPLOY_STAGE).toBe("person");
  });

  it.each([
    ["a fixed name", "DEPLOY_STAGE"],
    ["GIT_PAGER=sh -c …", "GIT_PAGER"],
    ["PAGER", "PAGER"],
  ])("the agent setting %s is ENV_NOT_ALLOWED even when listed in fromAgent", (_what, name) => {
    const over = { fromAgent: [name], set: { DEPLOY_STAGE: "person" }, agentEnv: { [name]: "sh -c id" } };
    expect(codeOf(() => child(over))).toBe("ENV_NOT_ALLOWED");
  });

  it.each([["GH_PAGER"], ["AWS_PAGER"], ["PSQL_PAGER"], ["BAT_PAGER"], ["GH_EDITOR"], ["GH_BROWSER"]])(
    "sibling: %s runs a command line, so it is a hook name no policy can hand to the agent",
    (name) => {
      expect(isHookName(name)).toBe(true);
      expect(codeOf(() => child({ fromAgent: [name], agentEnv: { [name]: "sh -c id" } }))).toBe(
        "ENV_NOT_ALLOWED",
      );
      expect(errorsOf({ fromAgent: [name] }).map((e) => e.path)).toEqual(["env.fromAgent[0]"]);
    },
  );

  it("a name in both env.set and env.fromAgent is refused at load", () => {
    const errors = errorsOf({ fromAgent: ["DEPLOY_STAGE"], set: { DEPLOY_STAGE: "x" } });
    expect(errors).toEqual([
      { path: "env.set.DEPLOY_STAGE", message: expect.stringContaining("also in env.fromAgent") },
    ]);
  });

  it.each([
    ["a NUL in the value", { A: `${SECRET}\0LD_PRELOAD=/x` }, "env.set.A", /contains NUL/],
    ["an oversize value", { A: SECRET.repeat(2000) }, "env.set.A", /longer than 32768 bytes/],
    ["a name starting with a digit", { "1A": SECRET }, "env.set.1A", /not a variable name/],
    ["a name with =", { "A=B": SECRET }, "env.set.A=B", /not a variable name/],
    ["TERM", { TERM: "dumb" }, "env.set.TERM", /decided by ccmux/],
    ["LESSSECURE (less's shell escapes)", { LESSSECURE: "0" }, "env.set.LESSSECURE", /decided by ccmux/],
    ["a non-string value", { A: 1 }, "env.set.A", /expected string/],
    [
      "a 129-character name",
      { [`A${"B".repeat(128)}`]: "x" },
      `env.set.A${"B".repeat(128)}`,
      /longer than 128/,
    ],
  ])("%s is refused at load, naming the variable and never the value", (_what, set, where, message) => {
    const errors = errorsOf({ set });
    expect(errors.map((e) => e.path)).toEqual([where]);
    expect(errors[0]?.message).toMatch(message);
    expect(JSON.stringify(errors)).not.toContain(SECRET);
  });

  it("__proto__ is refused, not silently dropped", () => {
    const errors = errorsOf(JSON.parse('{"set": {"__proto__": "x"}}'));
    expect(errors.map((e) => e.path)).toEqual(["env.set.__proto__"]);
  });

  it("too many variables and too many bytes altogether are refused", () => {
    const many = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`V${i}`, "x"]));
    expect(errorsOf({ set: many }).map((e) => e.message)).toEqual(["more than 256 variables"]);
    const big = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`V${i}`, "x".repeat(30_000)]));
    expect(errorsOf({ set: big }).map((e) => e.message)).toEqual(["larger than 131072 bytes altogether"]);
  });

  it("a name that names a rule's session directory is refused", () => {
    const errors = errorsOf(
      { set: { TOOL_HOME: "/x" } },
      { commands: [{ command: "tool", args: ["**"], sessionDir: { env: "TOOL_HOME" } }] },
    );
    expect(errors).toEqual([
      { path: "env.set.TOOL_HOME", message: "TOOL_HOME names commands[0]'s session directory" },
    ]);
  });

  it("the agent sees names and ccmux's defaults, never the person's values", () => {
    const policy = compile({ set: { DEPLOY_TOKEN: SECRET, GIT_PAGER: "less -R" } });
    const summary = summarizePolicy(policy);
    expect(summary.envSet).toEqual(["DEPLOY_TOKEN", "GIT_PAGER"]);
    expect(summary.envDefaults).toEqual({ PAGER: "cat" });
    const text = `${JSON.stringify(summary)}\n${describePolicy(policy)}`;
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("less -R");
    expect(describePolicy(policy)).toContain("values not shown): DEPLOY_TOKEN, GIT_PAGER");
  });
});
