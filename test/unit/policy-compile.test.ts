import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCcmuxError } from "../../src/errors.js";
import { compilePolicy } from "../../src/validation/policy-compile.js";
import { makeTree, type Tree } from "../fixtures/validation-tree.js";

let tree: Tree;
let compile: (raw: unknown) => ReturnType<typeof compilePolicy>;

beforeAll(() => {
  tree = makeTree();
  compile = (raw) =>
    compilePolicy(raw, {
      baseDir: tree.ws,
      serverPath: tree.bin,
      defaultAuditPath: "/var/tmp/ccmux-audit.jsonl",
    });
});
afterAll(() => tree.remove());

function errorsOf(raw: unknown): { path: string; message: string }[] {
  try {
    compile(raw);
  } catch (error) {
    if (isCcmuxError(error) && error.code === "POLICY_INVALID") {
      return error.data.errors as { path: string; message: string }[];
    }
    throw error;
  }
  throw new Error("the policy was accepted");
}

describe("compilePolicy", () => {
  it("compiles a small policy with defaults filled in", () => {
    const policy = compile({ workspace: ["."], commands: [{ command: "tool", args: ["status", "log **"] }] });
    expect(policy.baseDir).toBe(tree.ws);
    expect(policy.workspace).toEqual([tree.ws]);
    expect(policy.commands[0]?.executable).toEqual({
      path: path.join(tree.bin, "tool"),
      realpath: path.join(tree.bin, "tool"),
    });
    expect(policy.commands[0]?.patternSources).toEqual(["status", "log **"]);
    expect(policy.commands[0]?.input).toBe("none");
    expect(policy.limits.burst).toBe(policy.limits.callsPerMinute);
    expect(policy.audit.path).toBe("/var/tmp/ccmux-audit.jsonl");
    expect(policy.env.fromAgent).toEqual([]);
    expect(policy.warnings).toEqual([]);
  });

  it("omitted args means only no arguments", () => {
    const policy = compile({ workspace: ["."], commands: [{ command: "tool" }] });
    expect(policy.commands[0]?.patternSources).toEqual([""]);
    expect(policy.commands[0]?.patterns[0]?.tokens).toEqual([]);
  });

  it("resolves relative paths against the policy's directory", () => {
    const policy = compile({ workspace: ["a", "../ws2"], audit: { path: "logs/audit.jsonl" } });
    expect(policy.workspace).toEqual([path.join(tree.ws, "a"), tree.ws2]);
    expect(policy.audit.path).toBe(path.join(tree.ws, "logs", "audit.jsonl"));
  });

  it("is deeply frozen", () => {
    const policy = compile({ workspace: ["."], commands: [{ command: "tool", args: ["x *"] }] });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.commands[0]?.patterns[0]?.tokens)).toBe(true);
    expect(Object.isFrozen(policy.env.pass)).toBe(true);
    expect(Object.isFrozen(policy.limits)).toBe(true);
  });

  it("lists every schema error with its path", () => {
    const errors = errorsOf({
      workspace: [],
      commands: [{ command: "", bogus: 1 }],
      limits: { maxPanes: 0 },
    });
    const paths = errors.map((e) => e.path).sort();
    expect(paths).toEqual(["commands[0]", "commands[0].command", "limits.maxPanes", "workspace"]);
  });

  it("lists every semantic error in one pass", () => {
    const errors = errorsOf({
      workspace: [".", "missing-dir", "file.txt"],
      commands: [
        { command: "tool", args: ["ok", "** x", "{file}"] },
        { command: "./tool" },
        { command: "tool status" },
      ],
      env: { fromAgent: ["NODE_ENV", "LD_PRELOAD"] },
      panes: [
        { name: "dev", command: "tool; rm -rf /", access: "read" },
        { name: "dev", command: "tool", access: "read" },
        { name: "ghost", command: "no-such-program", access: "read" },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual([
      "workspace[1]",
      "workspace[2]",
      "commands[0].args[1]",
      "commands[0].args[2]",
      "commands[1].command",
      "commands[2].command",
      "env.fromAgent[1]",
      "panes[0].command",
      "panes[1].name",
      "panes[2].command",
    ]);
    expect(errors.find((e) => e.path === "env.fromAgent[1]")?.message).toContain("LD_PRELOAD");
  });

  it("a session directory cannot be named in a loader hook variable (LD_PRELOAD)", () => {
    const errors = errorsOf({
      workspace: ["."],
      commands: [{ command: "tool", sessionDir: { env: "LD_PRELOAD" } }],
    });
    expect(errors.map((e) => e.path)).toEqual(["commands[0].sessionDir.env"]);
  });

  it("an unresolvable program is a warning and a rule with executable null, not an error", () => {
    const policy = compile({ workspace: ["."], commands: [{ command: "no-such-program" }] });
    expect(policy.commands[0]?.executable).toBeNull();
    expect(policy.warnings).toHaveLength(1);
    expect(policy.warnings[0]).toContain("commands[0]");
  });

  it("warns about a secret in env.pass and a program inside the workspace", () => {
    const inside = path.join(tree.ws, "node_modules", ".bin", "git");
    const policy = compile({
      workspace: ["."],
      commands: [{ command: inside }],
      env: { pass: ["PATH", "GITHUB_TOKEN"] },
    });
    expect(policy.warnings).toHaveLength(2);
    expect(policy.warnings.some((w) => w.includes("GITHUB_TOKEN"))).toBe(true);
    expect(policy.warnings.some((w) => w.includes("inside the workspace"))).toBe(true);
  });

  it("compiles person panes: argv[0] absolute, input raw, cwd the first root by default", () => {
    const policy = compile({
      workspace: ["."],
      panes: [
        { name: "dev", command: "tool run 'a b'", access: "read" },
        { name: "sub", command: "tool", access: "write", cwd: "a", input: "keys", cols: 100 },
      ],
    });
    expect(policy.panes[0]).toEqual({
      name: "dev",
      argv: [path.join(tree.bin, "tool"), "run", "a b"],
      cwd: tree.ws,
      access: "read",
      input: "raw",
    });
    expect(policy.panes[1]).toMatchObject({ cwd: path.join(tree.ws, "a"), input: "keys", cols: 100 });
  });
});

/** The default read-only list, spelled out: git's, husky's, and the other version-control directories. */
const DEFAULT_READ_ONLY_LIST = [".git/", ".husky/", ".hg/", ".jj/", ".sl/", "_darcs/", ".pijul/"];

describe("compilePolicy: sandbox", () => {
  it("defaults to required, no network, the default hidden and read-only lists", () => {
    const policy = compile({ workspace: ["."] });
    expect(policy.sandbox.mode).toBe("required");
    expect(policy.sandbox.network).toBe(false);
    expect(policy.sandbox.hide).toEqual(
      expect.arrayContaining(["~/.ssh", "~/.aws", "~/.gnupg", "~/.claude*"]),
    );
    expect(policy.sandbox.readOnly).toEqual(DEFAULT_READ_ONLY_LIST);
    expect(policy.sandbox.gitWrites).toBe(false);
  });

  it("adds hide and readOnly entries to the defaults and takes exposed defaults out", () => {
    const policy = compile({
      workspace: ["."],
      sandbox: {
        mode: "auto",
        hide: ["/srv/keys", "~/.vault*"],
        expose: ["~/.npmrc"],
        readOnly: ["deploy/"],
      },
    });
    expect(policy.sandbox.hide).toEqual(expect.arrayContaining(["~/.ssh", "/srv/keys", "~/.vault*"]));
    expect(policy.sandbox.hide).not.toContain("~/.npmrc");
    expect(policy.sandbox.readOnly).toEqual([...DEFAULT_READ_ONLY_LIST, "deploy/"]);
  });

  it("with gitWrites, protects only git's hooks and config", () => {
    const policy = compile({ workspace: ["."], sandbox: { gitWrites: true } });
    expect(policy.sandbox.readOnly).toEqual(
      expect.arrayContaining([".git/hooks/", ".git/config", ".husky/"]),
    );
    expect(policy.sandbox.readOnly).not.toContain(".git/");
  });

  it("refuses malformed entries, each with its path, schema and meaning errors in one round", () => {
    const errors = errorsOf({
      workspace: ["."],
      sandbox: {
        mode: "sometimes",
        hide: ["relative/path", "/a/*/b", "/x/../etc"],
        expose: ["~/.ssh-not-a-default"],
        readOnly: ["/abs", "../up", "a/**"],
      },
    });
    expect(errors.map((e) => e.path)).toEqual([
      "sandbox.mode",
      "sandbox.expose[0]",
      "sandbox.hide[0]",
      "sandbox.hide[1]",
      "sandbox.hide[2]",
      "sandbox.readOnly[0]",
      "sandbox.readOnly[1]",
      "sandbox.readOnly[2]",
    ]);
    const semantic = errorsOf({
      workspace: ["."],
      sandbox: {
        hide: ["relative/path", "/a/*/b", "/x/../etc"],
        expose: ["~/.ssh-not-a-default"],
        readOnly: ["/abs", "../up", "a/**"],
      },
    });
    expect(semantic.map((e) => e.path).sort()).toEqual(
      [
        "sandbox.expose[0]",
        "sandbox.hide[0]",
        "sandbox.hide[1]",
        "sandbox.hide[2]",
        "sandbox.readOnly[0]",
        "sandbox.readOnly[1]",
        "sandbox.readOnly[2]",
      ].sort(),
    );
  });

  it("warns that mode off runs panes with the server's privileges", () => {
    expect(compile({ workspace: ["."], sandbox: { mode: "off" } }).warnings.join("\n")).toContain(
      "sandbox.mode is off",
    );
  });
});

describe('compilePolicy: input "validated" (issue 14)', () => {
  const bash = "/usr/bin/bash";

  it("accepts bash with no arguments or --norc --noprofile", () => {
    const policy = compile({
      workspace: ["."],
      commands: [{ command: bash, args: ["", "--norc --noprofile"], input: "validated" }],
    });
    expect(policy.commands[0]?.input).toBe("validated");
  });

  it("takes zsh, with its own argument shapes, and says which shell each rule is", () => {
    const policy = compile({
      workspace: ["."],
      commands: [
        { command: "/usr/bin/zsh", args: ["", "-f"], input: "validated" },
        { command: bash, input: "validated" },
        { command: "/usr/bin/zsh", input: "raw" },
      ],
    });
    expect(policy.commands.map((rule) => rule.shell)).toEqual(["zsh", "bash", undefined]);
    const errors = errorsOf({
      workspace: ["."],
      commands: [{ command: "/usr/bin/zsh", args: ["--norc --noprofile"], input: "validated" }],
    });
    expect(errors).toEqual([
      { path: "commands[0].args", message: expect.stringContaining('may only be "" or "-f" or "--no-rcs"') },
    ]);
  });

  it("refuses any other program with a reason", () => {
    const errors = errorsOf({
      workspace: ["."],
      commands: [
        { command: "/bin/sh", input: "validated" },
        { command: "tool", input: "validated" },
      ],
    });
    const byPath = (p: string) => errors.filter((e) => e.path === p).map((e) => e.message);
    expect(byPath("commands[0].input").join()).toMatch(
      /is for shells whose every command ccmux checks \(bash, zsh\); sh is not one/,
    );
    expect(byPath("commands[1].input").join()).toMatch(/tool is not one/);
  });

  it("refuses argument shapes ccmux would not start the shell with", () => {
    const errors = errorsOf({
      workspace: ["."],
      commands: [{ command: bash, args: ["-c *", "--norc --noprofile"], input: "validated" }],
    });
    expect(errors).toEqual([{ path: "commands[0].args", message: expect.stringContaining('not "-c *"') }]);
  });

  it("refuses it for a person pane", () => {
    const errors = errorsOf({
      workspace: ["."],
      commands: [],
      panes: [{ name: "mine", command: bash, access: "write", input: "validated" }],
    });
    expect(errors.map((e) => e.path)).toEqual(["panes[0].input"]);
  });
});
