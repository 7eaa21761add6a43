import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCcmuxError } from "../../src/errors.js";
import { compilePolicy } from "../../src/validation/policy-compile.js";

let base: string;
let ws: string;
/** A fake pyenv root: shims/python is the script pyenv generates; versions/3.12/bin/python the real one. */
let shims: string;
let real: string;
let sys: string;

function exe(file: string, body: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body, { mode: 0o755 });
}

beforeAll(() => {
  base = fs.realpathSync.native(fs.mkdtempSync(path.join(os.tmpdir(), "ccmux-load-risks-")));
  ws = path.join(base, "ws");
  fs.mkdirSync(ws);
  shims = path.join(base, "home", ".pyenv", "shims");
  real = path.join(base, "home", ".pyenv", "versions", "3.12.0", "bin");
  sys = path.join(base, "sys");
  exe(
    path.join(shims, "python"),
    '#!/usr/bin/env bash\nset -e\nexport PYENV_ROOT="$HOME/.pyenv"\nexec "/usr/bin/pyenv" exec "$program" "$@"\n',
  );
  exe(path.join(real, "python"), "#!/bin/sh\nexit 0\n");
  // A mise shim copied elsewhere: recognised by what it runs, not by where it lies.
  exe(path.join(sys, "node"), '#!/bin/sh\nexec mise x -- node "$@"\n');
  for (const name of ["bash", "sed", "cat", "git"]) exe(path.join(sys, name), "#!/bin/sh\nexit 0\n");
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function compile(policy: Record<string, unknown>, serverPath: string) {
  return compilePolicy(
    { workspace: ["ws"], ...policy },
    { baseDir: base, serverPath, defaultAuditPath: "/var/tmp/a.jsonl" },
  );
}

function problemsOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (error) {
    if (isCcmuxError(error))
      return (error.data as { errors: Array<{ path: string; message: string }> }).errors;
    throw error;
  }
  throw new Error("the policy loaded");
}

describe("version-manager shims pick the interpreter from workspace files", () => {
  it("a pyenv shim on PATH is named in a load warning with the way out", () => {
    const policy = compile({ commands: [{ command: "python", args: ["{path}"] }] }, `${shims}:${sys}`);
    const warning = policy.warnings.find((w) => w.startsWith("commands[0]:"));
    expect(warning).toMatch(/python is a pyenv shim/);
    expect(warning).toContain(".python-version");
  });

  it("a shim script is recognised by what it runs (mise x), wherever it lies", () => {
    const policy = compile({ commands: [{ command: "node", args: ["--version"] }] }, sys);
    expect(policy.warnings.join("\n")).toMatch(/node is a mise shim/);
  });

  it("control: the real interpreter, named by its path, loads without a shim warning", () => {
    const policy = compile({ commands: [{ command: path.join(real, "python"), args: ["{path}"] }] }, sys);
    expect(policy.warnings.join("\n")).not.toMatch(/shim/);
  });
});

describe("input: keys on a shell is no boundary (Up, Enter re-runs history)", () => {
  it("an agent rule giving a shell keys input is refused at load", () => {
    const errors = problemsOf(() =>
      compile({ commands: [{ command: "bash", args: ["--norc"], input: "keys" }] }, sys),
    );
    expect(errors).toEqual([
      {
        path: "commands[0].input",
        message: expect.stringMatching(/no boundary for the shell bash.*Up then Enter/),
      },
    ]);
  });

  it("a person's shell pane the agent may write to with keys is refused at load", () => {
    const errors = problemsOf(() =>
      compile({ panes: [{ name: "mine", command: "bash", access: "write", input: "keys" }] }, sys),
    );
    expect(errors[0]).toMatchObject({ path: "panes[0].input" });
  });

  it("control: keys on a program that is not a shell, raw or none on a shell, and a read-only person shell load", () => {
    expect(() =>
      compile(
        {
          commands: [
            { command: "cat", input: "keys" },
            { command: "bash", args: ["--norc"], input: "raw" },
            { command: "bash", args: ["-i"] },
          ],
          panes: [{ name: "mine", command: "bash", access: "read", input: "keys" }],
        },
        sys,
      ),
    ).not.toThrow();
  });
});

describe("wildcards on programs that run code are warned about at load", () => {
  it("sed ** warns; git log ** (not a code runner) and sed with literal shapes do not", () => {
    const policy = compile(
      {
        commands: [
          { command: "sed", args: ["-n **"] },
          { command: "git", args: ["log **"] },
          { command: "sed", args: ["-n 1p {path}"] },
        ],
      },
      sys,
    );
    const warnings = policy.warnings.join("\n");
    expect(warnings).toMatch(
      /commands\[0\]: sed runs code and "-n \*\*" lets the agent choose its arguments/,
    );
    expect(warnings).not.toMatch(/commands\[1\]/);
    expect(warnings).not.toMatch(/commands\[2\]/);
  });
});
