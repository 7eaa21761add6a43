import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCcmuxError } from "../../src/errors.js";
import { type CompiledPolicy, compilePolicy } from "../../src/validation/policy-compile.js";
import { checkSpawn, type SpawnRequest } from "../../src/validation/spawn-check.js";
import { codeOf, makeTree, type Tree } from "../fixtures/validation-tree.js";

let tree: Tree;
let policy: CompiledPolicy;
let serverEnv: NodeJS.ProcessEnv;

beforeAll(() => {
  tree = makeTree();
  serverEnv = { PATH: tree.bin, HOME: "/home/u", ANTHROPIC_API_KEY: "sk-ant-x" };
  policy = compilePolicy(
    {
      workspace: ["."],
      commands: [
        { command: "tool", args: ["status", "write **", "run {path}", "one *"] },
        { command: "tool", args: ["repl"], input: "raw" },
        { command: "ls-alike", args: ["**"] },
        { command: "no-such-program" },
      ],
      env: { pass: ["PATH", "HOME", "ANTHROPIC_API_KEY"], fromAgent: ["NODE_ENV"] },
    },
    { baseDir: tree.ws, serverPath: tree.bin, defaultAuditPath: "/var/tmp/a.jsonl" },
  );
});
afterAll(() => tree.remove());

const check = (command: string, extra: Omit<SpawnRequest, "command"> = {}) =>
  checkSpawn(policy, { command, ...extra }, serverEnv);
const refusal = (command: string, extra: Omit<SpawnRequest, "command"> = {}) =>
  codeOf(() => check(command, extra));

function errorOf(command: string, extra: Omit<SpawnRequest, "command"> = {}) {
  try {
    check(command, extra);
  } catch (error) {
    if (isCcmuxError(error)) return error;
    throw error;
  }
  throw new Error("the spawn was allowed");
}

describe("checkSpawn: allowed", () => {
  it("returns the absolute executable, the args as given, cwd, filtered env and the deciding rule", () => {
    expect(check("tool status")).toEqual({
      argv: [path.join(tree.bin, "tool"), "status"],
      cwd: tree.ws,
      env: {
        PATH: tree.bin,
        HOME: "/home/u",
        PAGER: "cat",
        GIT_PAGER: "cat",
        TERM: "xterm-256color",
        LESSSECURE: "1",
      },
      rule: { index: 0, command: "tool", pattern: "status" },
      input: "none",
    });
  });

  it("the entry whose args matched decides the input mode", () => {
    expect(check("tool repl").input).toBe("raw");
    expect(check("tool repl").rule).toEqual({ index: 1, command: "tool", pattern: "repl" });
  });

  it("passes path arguments as given, not as canonical paths", () => {
    expect(check("tool run link-in/f.txt").argv.slice(1)).toEqual(["run", "link-in/f.txt"]);
  });

  it("--output=sub/x is allowed", () => {
    expect(check("tool write --output=sub/x").argv.slice(1)).toEqual(["write", "--output=sub/x"]);
  });

  it("http(s) URLs pass a wildcard", () => {
    expect(check("tool write https://example.com/a/b").argv).toHaveLength(3);
  });

  it("a URL cannot climb out through a workspace directory named https:", () => {
    fs.mkdirSync(path.join(tree.ws, "https:"), { recursive: true });
    try {
      expect(refusal("tool write https://../../../../etc/passwd")).toMatch(
        /^PATH_(OUTSIDE_WORKSPACE|INVALID)$/,
      );
      expect(refusal("tool write --output=https://../../../tmp/pwned")).toMatch(
        /^PATH_(OUTSIDE_WORKSPACE|INVALID)$/,
      );
      expect(check("tool write https://example.com/a/b").argv).toHaveLength(3);
    } finally {
      fs.rmdirSync(path.join(tree.ws, "https:"));
    }
  });

  it("a path after a comma in a URL option is checked: --x=https://a,/etc", () => {
    expect(refusal("tool write --x=https://a,/etc")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("a program named through a workspace symlink runs the policy's own path (no swap after the check)", () => {
    const link = path.join(tree.ws, "tool-link");
    fs.mkdirSync(link);
    fs.symlinkSync(path.join(tree.bin, "tool"), path.join(link, "tool"));
    try {
      expect(check(`${link}/tool status`).argv[0]).toBe(path.join(tree.bin, "tool"));
    } finally {
      fs.rmSync(link, { recursive: true });
    }
  });

  it("accepts the absolute path of an allowed program", () => {
    expect(check(`${tree.bin}/tool status`).argv[0]).toBe(path.join(tree.bin, "tool"));
  });

  it("resolves relative arguments and cwd against the requested cwd", () => {
    const plan = check("tool run f.txt", { cwd: "a" });
    expect(plan.cwd).toBe(path.join(tree.ws, "a"));
    expect(check("tool run ../file.txt", { cwd: "a" }).cwd).toBe(path.join(tree.ws, "a"));
    expect(refusal("tool run ../../outside/secret.txt", { cwd: "a" })).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("the agent may set a fromAgent name", () => {
    expect(check("tool status", { env: { NODE_ENV: "test" } }).env.NODE_ENV).toBe("test");
  });
});

describe("checkSpawn: refused", () => {
  it("seed §2.1 payloads are refused before anything resolves", () => {
    expect(refusal("tool status; rm -rf /")).toBe("COMMAND_SYNTAX_FORBIDDEN");
    expect(refusal("$(cat /etc/passwd)")).toBe("COMMAND_SYNTAX_FORBIDDEN");
    expect(refusal("tool status\nrm -rf /")).toBe("COMMAND_SYNTAX_FORBIDDEN");
  });

  it("a line longer than limits.maxInputBytes is LIMIT_EXCEEDED", () => {
    expect(refusal(`tool write ${"x".repeat(policy.limits.maxInputBytes)}`)).toBe("LIMIT_EXCEEDED");
  });

  it("a program not in the policy is COMMAND_NOT_ALLOWED", () => {
    expect(refusal("rm-alike -rf /")).toBe("COMMAND_NOT_ALLOWED");
    expect(refusal("sh -c id")).toBe("COMMAND_NOT_ALLOWED");
  });

  it("a rule whose program was not found at load refuses with COMMAND_NOT_ALLOWED", () => {
    expect(refusal("no-such-program")).toBe("COMMAND_NOT_ALLOWED");
  });

  it("relative ./x is refused", () => {
    expect(refusal("./tool status", { cwd: "../bin" })).toBe("COMMAND_NOT_ALLOWED");
    expect(refusal("../bin/tool status")).toBe("COMMAND_NOT_ALLOWED");
  });

  it("a repo binary on no PATH cannot be named by its absolute path either", () => {
    expect(refusal(`${tree.ws}/node_modules/.bin/git status`)).toBe("COMMAND_NOT_ALLOWED");
  });

  it("busybox-style multi-call: a second name for the same executable is not interchangeable", () => {
    expect(check("ls-alike x").argv[0]).toBe(path.join(tree.bin, "ls-alike"));
    expect(refusal("rm-alike x")).toBe("COMMAND_NOT_ALLOWED");
    expect(refusal(`${tree.bin}/rm-alike x`)).toBe("COMMAND_NOT_ALLOWED");
    expect(refusal(`${tree.bin}/multi x`)).toBe("COMMAND_NOT_ALLOWED");
  });

  it.each([["ｔool status"], ["tool\u200b status"], ["tool ｓtatus"], ["tool %73tatus"], ["tool 'status '"]])(
    "unicode look-alike or encoded variant %j is refused",
    (line) => {
      expect(refusal(line)).toMatch(/^(COMMAND_NOT_ALLOWED|COMMAND_SYNTAX_FORBIDDEN|ARGS_NOT_ALLOWED)$/);
    },
  );

  it("ARGS_NOT_ALLOWED lists only this program's shapes", () => {
    const error = errorOf("tool push");
    expect(error.code).toBe("ARGS_NOT_ALLOWED");
    expect(error.message).toContain('"status", "write **", "run {path}", "one *", "repl"');
    expect(error.message).not.toContain("ls-alike");
    expect(error.data).toEqual({ program: "tool", rules: [0, 1] });
  });

  it("--output=/etc/x is refused naming the argument, not the resolved path", () => {
    const error = errorOf("tool write ok --output=/etc/x");
    expect(error.code).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(error.message).toMatch(/^argument 3 is outside the workspace\. Instead: use a path inside/);
    expect(error.message).not.toContain("/etc");
    expect(error.data).toMatchObject({ rule: 0, argIndex: 3 });
  });

  it.each([
    ["tool write /etc/passwd"],
    ["tool write ../outside/secret.txt"],
    ["tool write ~/.ssh/id_rsa"],
    ["tool write -o/etc/x"],
    ["tool write if=/etc/passwd"],
    ["tool write file:///etc/passwd"],
    ["tool write link-out/secret.txt"],
    ["tool write chain1/secret.txt"],
    ["tool write dangling-out/x"],
    ["tool write /proc/self/root/etc/passwd"],
    ["tool one ../ws2/x.txt"],
  ])("a path-like wildcard argument outside is refused: %j", (line) => {
    expect(refusal(line)).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it.each([["tool write %2e%2e%2fetc/passwd"], ["tool run new/../../x"]])(
    "a malformed path is PATH_INVALID: %j",
    (line) => {
      expect(refusal(line)).toBe("PATH_INVALID");
    },
  );

  it("a {path} argument outside, through a symlink, or disguised as an option is refused", () => {
    expect(refusal("tool run ../outside/secret.txt")).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("tool run link-out/secret.txt")).toBe("PATH_OUTSIDE_WORKSPACE");
    // An option in a `{path}` slot is an option the shapes do not allow (and never the path checked).
    expect(refusal("tool run --require=/tmp/x.js")).toBe("ARGS_NOT_ALLOWED");
    expect(refusal("tool run ''")).toBe("PATH_INVALID");
  });

  it("a cwd outside, through a symlink out, or not a directory is refused", () => {
    expect(refusal("tool status", { cwd: "../outside" })).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("tool status", { cwd: "link-out" })).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("tool status", { cwd: tree.ws2 })).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("tool status", { cwd: "file.txt" })).toBe("PATH_INVALID");
    expect(refusal("tool status", { cwd: "missing" })).toBe("PATH_INVALID");
  });

  it("env hooks and names outside fromAgent are refused", () => {
    expect(refusal("tool status", { env: { LD_PRELOAD: "/tmp/x.so" } })).toBe("ENV_NOT_ALLOWED");
    expect(refusal("tool status", { env: { PATH: tree.ws } })).toBe("ENV_NOT_ALLOWED");
    expect(refusal("tool status", { env: { DEBUG: "1" } })).toBe("ENV_NOT_ALLOWED");
  });

  it("secret names in env.pass never reach the child", () => {
    expect(check("tool status").env).not.toHaveProperty("ANTHROPIC_API_KEY");
  });
});

describe("checkSpawn: bare names that exist in cwd", () => {
  it("a bare name planted as a symlink out (dangling or not) is refused, also as an option value", () => {
    expect(refusal("tool write dangling-out")).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("tool write link-out")).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("tool write --file=link-out")).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("tool one link-out", { cwd: "." })).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("a bare name that exists inside, or does not exist, is allowed", () => {
    expect(check("tool write file.txt link-in missing.txt --x=%5d").argv).toHaveLength(6);
  });
});

describe("checkSpawn: an agent cannot map the host's programs through refusals", () => {
  // Attack review: "not in the policy" for installed programs and "not found on the server's PATH" for missing
  // ones listed what the host had installed; "not an executable file" told files in private directories apart.
  const reason = (command: string): string =>
    errorOf(command)
      .message.replaceAll(command, "WORD")
      .replace(/^"[^"]*"/, "");

  it("an installed program outside the policy and a missing one get the same answer", () => {
    expect(errorOf("multi").code).toBe("COMMAND_NOT_ALLOWED");
    expect(reason("multi")).toBe(reason("no-such-tool-here"));
    expect(reason(path.join(tree.bin, "multi"))).toBe(reason(path.join(tree.bin, "no-such-tool-here")));
    expect(reason(path.join(tree.bin, "plain.txt"))).toBe(reason(path.join(tree.bin, "missing.txt")));
    expect(errorOf("/root/.cargo/bin/cargo").message).toContain("is not in the policy");
  });

  it("a program the policy names but the server lacks says so (the policy is the agent's to read)", () => {
    expect(errorOf("no-such-program").message).toContain("is in the policy but not installed on the server");
  });
});
