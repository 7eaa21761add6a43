import { spawnSync } from "node:child_process";
import {
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, makeWorkspace, serveWorkspace } from "../support/mcp-harness.js";

function ccmux(args: string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: options.cwd ?? tmpdir(), ...options.env },
    input: options.input ?? "",
    encoding: "utf8",
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "ccmux-cli-")));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("ccmux init", () => {
  it("writes a starter policy that validates and refuses to overwrite it", () => {
    const dir = tempDir();
    const init = ccmux(["init"], { cwd: dir });
    expect(init.code).toBe(0);
    // The hint it prints works: like serve, policy check takes ./ccmux.json only when named.
    expect(init.stdout).toContain('ccmux policy check --config ccmux.json "git status"');
    const policy = JSON.parse(readFileSync(join(dir, "ccmux.json"), "utf8"));
    expect(policy.workspace).toEqual(["."]);
    expect(policy.sandbox.mode).toBe("required");
    const check = ccmux(["policy", "check", "--config", "ccmux.json", "git status"], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^allowed: \[".*\/git","status"\]/);
    const again = ccmux(["init"], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
  });

  it("does not follow a planted symlink at ./ccmux.json", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "victim"), "untouched");
    symlinkSync(join(dir, "victim"), join(dir, "ccmux.json"));
    expect(ccmux(["init", "--force"], { cwd: dir }).code).toBe(1);
    expect(readFileSync(join(dir, "victim"), "utf8")).toBe("untouched");
  });
});

describe("ccmux policy check", () => {
  it("exit 0 with the rule when allowed, exit 1 with the code when denied", () => {
    const ws = makeWorkspace({ commands: [{ command: "cat", args: ["{path}"] }] });
    try {
      writeFileSync(join(ws.root, "a.txt"), "x");
      const allowed = ccmux(["policy", "check", "--config", ws.policyPath, "cat a.txt"]);
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).toContain('rule:  commands[0] cat "{path}"');
      const denied = ccmux(["policy", "check", "--config", ws.policyPath, "cat ../ccmux.json"]);
      expect(denied.code).toBe(1);
      expect(denied.stdout).toMatch(/^denied: PATH_OUTSIDE_WORKSPACE: /);
      const injected = ccmux(["policy", "check", "--config", ws.policyPath, "cat a.txt; id"]);
      expect(injected.stdout).toMatch(/^denied: COMMAND_SYNTAX_FORBIDDEN: /);
    } finally {
      ws.cleanup();
    }
  });
});

describe("ccmux schema", () => {
  it("prints the policy JSON Schema, identical to the checked-in examples/policy.schema.json", () => {
    const out = ccmux(["schema"]);
    expect(out.code).toBe(0);
    const schema = JSON.parse(out.stdout);
    expect(schema.properties.workspace.type).toBe("array");
    expect(schema.additionalProperties).toBe(false);
    const checkedIn = readFileSync(resolve(import.meta.dirname, "../../examples/policy.schema.json"), "utf8");
    expect(JSON.parse(checkedIn)).toEqual(schema);
  });
});

describe("ccmux serve on a bad or missing policy lists every problem and serves nothing else", () => {
  it("without a policy it says how to make one", () => {
    const dir = tempDir();
    const out = ccmux(["serve"], { cwd: dir, env: { XDG_CONFIG_HOME: join(dir, "cfg") } });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("ccmux init");
    expect(out.stdout).toBe("");
  });

  it("a policy planted at ./ccmux.json (where a pane could write) is not used unless named with --config", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "ccmux.json"), JSON.stringify({ workspace: ["."], sandbox: { mode: "off" } }));
    const out = ccmux(["serve"], { cwd: dir, env: { XDG_CONFIG_HOME: join(dir, "cfg") } });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("./ccmux.json is not used unasked");
    expect(out.stderr).toContain("--config ccmux.json");
  });

  it("lists every error of an invalid policy with its JSON path, and writes nothing to stdout", () => {
    const dir = tempDir();
    const file = join(dir, "ccmux.json");
    writeFileSync(
      file,
      JSON.stringify({
        workspace: ["does-not-exist"],
        commands: [{ command: "git", args: ["{bogus}"], shell: true }],
        env: { fromAgent: ["LD_PRELOAD"] },
        limits: { maxPanes: "many" },
      }),
    );
    const out = ccmux(["serve", "--config", file]);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe("");
    for (const where of ["commands[0]", "limits.maxPanes"]) expect(out.stderr).toContain(where);
    const again = ccmux(["policy", "check", "--config", file, "git status"]);
    expect(again.code).toBe(2);
  });

  it("lists semantic errors together: missing workspace, bad pattern, hook variable", () => {
    const dir = tempDir();
    const file = join(dir, "ccmux.json");
    writeFileSync(
      file,
      JSON.stringify({
        workspace: ["does-not-exist"],
        commands: [{ command: "git", args: ["{bogus}"] }],
        env: { fromAgent: ["LD_PRELOAD"] },
      }),
    );
    const out = ccmux(["serve", "--config", file]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("workspace[0]");
    expect(out.stderr).toContain("commands[0].args[0]");
    expect(out.stderr).toContain("env.fromAgent[0]");
  });

  it("refuses to start when the audit log path is a planted symlink", () => {
    const ws = makeWorkspace({ commands: [] });
    try {
      writeFileSync(join(ws.dir, "elsewhere"), "");
      symlinkSync(join(ws.dir, "elsewhere"), ws.auditPath);
      const out = ccmux(["serve", "--config", ws.policyPath]);
      expect(out.code).toBe(2);
      expect(out.stderr).toContain("symlink");
      expect(readFileSync(join(ws.dir, "elsewhere"), "utf8")).toBe("");
    } finally {
      ws.cleanup();
    }
  });

  it("creates the default audit directory 0700 and the log 0600", async () => {
    const ws = makeWorkspace({ commands: [], audit: {} });
    try {
      const mcp = await serveWorkspace(ws);
      await mcp.ok("list_panes");
      await mcp.close();
      const log = join(ws.dir, "xdg-state", "ccmux", "audit.jsonl");
      expect(statSync(join(ws.dir, "xdg-state", "ccmux")).mode & 0o777).toBe(0o700);
      expect(statSync(log).mode & 0o777).toBe(0o600);
      expect(readFileSync(log, "utf8")).toContain('"tool":"list_panes"');
    } finally {
      ws.cleanup();
    }
  });
});

describe("ccmux doctor", () => {
  const bwrapWorks =
    spawnSync("bwrap", ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "true"])
      .status === 0;

  it("reports the machine's posture as JSON, matching what the kernel says", () => {
    const out = ccmux(["doctor", "--json"]);
    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout) as Array<{ check: string; value: string; status: string }>;
    const byName = new Map(report.map((item) => [item.check, item]));
    expect(byName.get("sandbox.mode")).toMatchObject({ value: "required", status: "good" });
    let legacy: string | undefined;
    try {
      legacy = readFileSync("/proc/sys/dev/tty/legacy_tiocsti", "utf8").trim();
    } catch {
      legacy = undefined;
    }
    if (legacy !== undefined) expect(byName.get("dev.tty.legacy_tiocsti")?.value).toBe(legacy);
    const root = process.geteuid?.() === 0;
    expect(byName.get("running as root")?.value).toBe(root ? "yes" : "no");
  });

  it.skipIf(!bwrapWorks)("finds the pane sandbox working with ccmux's seccomp program active", () => {
    const report = JSON.parse(ccmux(["doctor", "--json"]).stdout) as Array<{ check: string; value: string }>;
    expect(report.find((item) => item.check === "pane sandbox (bubblewrap)")?.value).toBe("works");
    expect(report.find((item) => item.check === "seccomp filter")?.value).toBe("active");
  });

  it("reports the sandbox unavailable, and the policy's mode, when bwrap is not on the PATH", () => {
    const ws = makeWorkspace({ sandbox: { mode: "auto" } });
    try {
      const out = ccmux(["doctor", "--json", "--config", ws.policyPath], { env: { PATH: "/nonexistent" } });
      const report = JSON.parse(out.stdout) as Array<{ check: string; value: string; status: string }>;
      const byName = new Map(report.map((item) => [item.check, item]));
      expect(byName.get("policy")?.value).toBe(ws.policyPath);
      expect(byName.get("sandbox.mode")).toMatchObject({ value: "auto", status: "warn" });
      expect(byName.get("pane sandbox (bubblewrap)")?.value).toMatch(/unavailable: .*not installed/);
      expect(byName.get("seccomp filter")?.value).toBe("inactive");
    } finally {
      ws.cleanup();
    }
  });
});
