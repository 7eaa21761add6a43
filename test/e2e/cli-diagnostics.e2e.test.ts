import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, eventually, makeWorkspace, serveWorkspace } from "../support/mcp-harness.js";

function ccmux(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: options.cwd ?? tmpdir(), ...options.env },
    input: "",
    encoding: "utf8",
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "ccmux-diag-")));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A policy with a schema error, a meaning error and a hook variable, pretty-printed (positions are stable). */
const BROKEN = `{
  "workspace": ["."],
  "commands": [
    { "command": "ls", "args": ["{bogus}"] },
    { "command": "cat", "shell": true }
  ],
  "env": { "fromAgent": ["LD_PRELOAD"] },
  "limits": { "maxPanes": "many" }
}
`;
const BROKEN_AT = [
  ":5:5: commands[1]: Unrecognized key",
  ":8:27: limits.maxPanes: Invalid input: expected number, received string",
  ":4:33: commands[0].args[0]: ",
  ":7:26: env.fromAgent[0]: ",
];

describe("ccmux doctor --config BROKEN", () => {
  it("exits 1 and lists every problem at its file, line and column", () => {
    const dir = tempDir();
    const file = join(dir, "broken.json");
    writeFileSync(file, BROKEN);
    const out = ccmux(["doctor", "--config", file], { cwd: dir });
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`FAIL  policy: ${file} does not validate (4 problems)`);
    for (const at of BROKEN_AT) expect(out.stdout).toContain(`FAIL  policy problem: ${file}${at}`);
    const json = ccmux(["doctor", "--json", "--config", file], { cwd: dir });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as Array<{ check: string; status: string }>;
    expect(report.filter((item) => item.check === "policy problem" && item.status === "fail")).toHaveLength(
      4,
    );
  });

  it("bad JSON: one problem with its line and column, never the file's text", () => {
    const dir = tempDir();
    const file = join(dir, "broken.json");
    writeFileSync(
      file,
      '{\n  "workspace": ["."],\n  "env": { "set": { "A": "sk-ant-api03-secret" } }\n  "commands": []\n}\n',
    );
    const out = ccmux(["doctor", "--config", file], { cwd: dir });
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`${file}:4:3: expected "," or "}" after the property value, found "\\""`);
    expect(out.stdout).not.toContain("sk-ant");
    const check = ccmux(["policy", "check", "--config", file, "ls"], { cwd: dir });
    expect(check.code).toBe(2);
    expect(check.stderr).toContain(`${file}:4:3:`);
  });

  it("a good policy exits 0; a program that is not installed is a warning naming it", () => {
    const ws = makeWorkspace({ commands: [{ command: "ls" }, { command: "no-such-program-ccmux" }] });
    try {
      const out = ccmux(["doctor", "--config", ws.policyPath], { cwd: ws.dir });
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(
        /WARN {2}policy warning: commands\[1\]: "no-such-program-ccmux" was not found/,
      );
      const check = ccmux(["policy", "check", "--config", ws.policyPath, "ls"], { cwd: ws.dir });
      expect(check.stderr).toMatch(/warning: commands\[1\]: "no-such-program-ccmux" was not found/);
    } finally {
      ws.cleanup();
    }
  });
});

describe("serve, policy check and doctor find the policy the same way", () => {
  it("the user's config file, never a planted ./ccmux.json, which each of them names", async () => {
    const dir = tempDir();
    const config = join(dir, "xdg-config");
    mkdirSync(join(config, "ccmux"), { recursive: true });
    mkdirSync(join(dir, "ws"));
    const user = join(config, "ccmux", "ccmux.json");
    writeFileSync(user, JSON.stringify({ workspace: [join(dir, "ws")], commands: [{ command: "ls" }] }));
    // What a pane could write in the workspace: a policy that lets the agent run anything.
    writeFileSync(
      join(dir, "ccmux.json"),
      JSON.stringify({ workspace: ["."], commands: [{ command: "rm", args: ["**"] }] }),
    );
    const env = { XDG_CONFIG_HOME: config, XDG_STATE_HOME: join(dir, "state") };
    const check = ccmux(["policy", "check", "rm -rf ws"], { cwd: dir, env });
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^denied: COMMAND_NOT_ALLOWED/);
    expect(check.stderr).toContain(`using ${user}; ./ccmux.json is not used unasked`);
    const doctor = ccmux(["doctor", "--json"], { cwd: dir, env });
    const report = JSON.parse(doctor.stdout) as Array<{ check: string; value: string }>;
    expect(report.filter((item) => item.check === "policy").map((item) => item.value)).toEqual([
      expect.stringContaining("./ccmux.json is not used unasked"),
      user,
    ]);
    const serve = ccmux(["serve"], { cwd: dir, env });
    expect(serve.stderr).toContain(`serving MCP on stdio (policy ${user},`);
    expect(serve.stderr).toContain("./ccmux.json is not used unasked");
  });
});

describe("every command has its own --help", () => {
  it.each([
    [["serve"], "Usage: ccmux serve"],
    [["init"], "Usage: ccmux init"],
    [["policy", "check"], "Usage: ccmux policy check"],
    [["schema"], "Usage: ccmux schema"],
    [["doctor"], "Usage: ccmux doctor"],
    [["audit"], "ccmux audit show"],
    [["audit", "show"], "ccmux audit show"],
  ])("ccmux %j --help; an unknown option names that help", (command, usage) => {
    const dir = tempDir();
    const help = ccmux([...command, "--help"], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(usage);
    expect(help.stderr).toBe("");
    const wrong = ccmux([...command, "--no-such-option"], { cwd: dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `ccmux ${command[0]}: unknown option --no-such-option. See \`ccmux ${command[0]} --help\`.`,
    );
    // Nothing was started or written on the way.
    expect(wrong.stdout).toBe("");
  });

  it("ccmux help COMMAND prints the same; a stray argument is refused", () => {
    expect(ccmux(["help", "doctor"]).stdout).toBe(ccmux(["doctor", "--help"]).stdout);
    const stray = ccmux(["serve", "now"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('ccmux serve: unexpected argument "now". See `ccmux serve --help`.');
  });
});

describe("serve's stderr", () => {
  it("a policy without warnings: one line, saying where the policy and log are and how panes run", async () => {
    const ws = makeWorkspace({ commands: [{ command: "ls" }] });
    const mcp = await serveWorkspace(ws);
    try {
      const line = await eventually(() => mcp.stderr().includes("\n") && mcp.stderr());
      expect(line).toMatch(
        new RegExp(
          `^ccmux: serving MCP on stdio \\(policy ${ws.policyPath}, audit ${ws.auditPath}\\); panes run .*\\.\\n$`,
        ),
      );
      await mcp.ok("list_panes");
      expect(mcp.stderr()).toBe(line);
    } finally {
      await mcp.close();
      ws.cleanup();
    }
  });
});
