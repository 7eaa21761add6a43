import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STARTER_POLICY } from "../../src/cli/init-command.js";
import { argPieces } from "../../src/validation/path-like.js";
import { type CompiledPolicy, compilePolicy } from "../../src/validation/policy-compile.js";
import { checkSpawn } from "../../src/validation/spawn-check.js";
import { codeOf, makeTree, type Tree } from "../fixtures/validation-tree.js";

/** Issue 9 item 3: what `ccmux init` and the shipped example call read-only cannot write a file. */
let tree: Tree;
const serverEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
const policies: Record<string, CompiledPolicy> = {};

beforeAll(() => {
  tree = makeTree();
  const example = JSON.parse(
    fs.readFileSync(path.resolve(import.meta.dirname, "../../examples/ccmux.json"), "utf8"),
  ) as Record<string, unknown>;
  const opts = { baseDir: tree.ws, serverPath: serverEnv.PATH, defaultAuditPath: "/var/tmp/a.jsonl" };
  policies.init = compilePolicy({ ...STARTER_POLICY, workspace: ["."] }, opts);
  policies.example = compilePolicy({ ...example, workspace: ["."], panes: [] }, opts);
});
afterAll(() => tree.remove());

describe.each(["init", "example"])("the %s policy's read-only git", (name) => {
  const check = (command: string) =>
    codeOf(() => checkSpawn(policies[name] as CompiledPolicy, { command }, serverEnv));

  it.each([
    "git log -1 --format=%x7b%x7d --output=CLAUDE.md",
    "git log --outp=.mcp.json",
    "git show --output .envrc HEAD",
    "git diff --output=Makefile",
    "git diff --ext-diff",
    "git show --textconv HEAD",
    "git status --ext",
  ])("refuses %s", (command) => {
    expect(check(command)).toBe("ARGS_NOT_ALLOWED");
  });

  it.each(["git status --short", "git diff --stat", "git log --oneline -5", "git show --stat HEAD"])(
    "still allows %s",
    (command) => {
      expect(check(command)).toBe("NO_ERROR");
    },
  );
});

describe("the example's node --test ** runs no inline code", () => {
  it.each([
    "node --test --import=data:text/javascript,1",
    "node --test --require=./x.js",
    "node --test -r ./x.js",
    "node --test --loader=./x.mjs",
    "node --test --experimental-loader ./x.mjs",
    "node --test --eval=1",
    "node --test -p 1",
    "node --test --env-file=.env",
  ])("refuses %s", (command) => {
    expect(codeOf(() => checkSpawn(policies.example as CompiledPolicy, { command }, serverEnv))).toBe(
      "ARGS_NOT_ALLOWED",
    );
  });
});

describe("a path anywhere inside one argument is a path", () => {
  it.each([
    ["r /etc/hostname", "/etc/hostname"],
    ['getline < "/etc/passwd"', "/etc/passwd"],
    ["open(F,'/etc/shadow')", "/etc/shadow"],
    ["x=(/etc/a)", "/etc/a"],
    ["a,/etc/b", "/etc/b"],
    ["host:/etc/c", "/etc/c"],
    ["--opt=/etc/d", "/etc/d"],
    ["cmd -o/etc/e", "/etc/e"],
    ["see https://x /etc/f", "/etc/f"],
  ])("%s yields %s", (arg, piece) => {
    expect(argPieces(arg)).toContain(piece);
  });
});
