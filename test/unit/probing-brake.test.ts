import { describe, expect, it } from "vitest";
import { isCcmuxError } from "../../src/errors.js";
import { DEFAULT_SENSITIVE_PATHS } from "../../src/validation/anomaly-rules.js";
import type { RefusedCall } from "../../src/validation/probe-signals.js";
import { ProbingBrake, type ProbingPolicy } from "../../src/validation/probing-brake.js";

const POLICY: ProbingPolicy = {
  slowAfter: 3,
  windowMs: 60_000,
  slowMs: 500,
  blockAfter: 12,
  probeWindowMs: 600_000,
  cooldownMs: 300_000,
};

/** The markers as anomaly-rules matches them, simplified: a marker anywhere in the word. */
const sensitive = (text: string) => DEFAULT_SENSITIVE_PATHS.filter((m) => text.includes(m.replace("*", "")));

function brake(policy: ProbingPolicy = POLICY) {
  let now = 1_000_000;
  return { brake: new ProbingBrake(policy, sensitive, () => now), advance: (ms: number) => (now += ms) };
}

function blocked(b: ProbingBrake, tool = "spawn", foreign = false): boolean {
  try {
    b.gate(tool, foreign);
    return false;
  } catch (error) {
    if (isCcmuxError(error) && error.code === "ANOMALY_BLOCKED") return true;
    throw error;
  }
}

const spawnRefused = (command: string, code: string, data: Record<string, unknown> = {}): RefusedCall => ({
  tool: "spawn",
  code,
  data,
  args: { command },
});

/** The shell habits of an honest agent, as the server refuses them. */
const HABITS: RefusedCall[] = [
  spawnRefused("npm test | tail -20", "COMMAND_SYNTAX_FORBIDDEN", { syntax: "pipe" }),
  spawnRefused("cd web && npm test", "COMMAND_SYNTAX_FORBIDDEN", { syntax: "cd" }),
  spawnRefused("NODE_ENV=test node app.js", "COMMAND_SYNTAX_FORBIDDEN", { syntax: "assignment" }),
  spawnRefused("echo $PATH", "COMMAND_SYNTAX_FORBIDDEN", { syntax: "variable" }),
  spawnRefused("npm test 2>&1", "COMMAND_SYNTAX_FORBIDDEN", { syntax: "redirection" }),
  spawnRefused("ls src/*.ts", "COMMAND_SYNTAX_FORBIDDEN", { syntax: "glob" }),
  spawnRefused("python3 -m pytest", "COMMAND_NOT_ALLOWED", { program: "python3" }),
  spawnRefused("make test", "COMMAND_NOT_ALLOWED", { program: "make" }),
  spawnRefused("git push", "ARGS_NOT_ALLOWED", { program: "git" }),
  spawnRefused("node --inspect", "ARGS_NOT_ALLOWED", { program: "node" }),
  spawnRefused("cat ~/notes.txt", "PATH_OUTSIDE_WORKSPACE", { reason: "the path starts with `~`" }),
  { tool: "spawn", code: "ENV_NOT_ALLOWED", data: { name: "NODE_ENV" }, args: { command: "node a.js" } },
  { tool: "spawn", code: "INVALID_ARGUMENT", data: {}, args: { cmd: "npm test" } },
];

describe("the probing brake", () => {
  it("honest shell habits, many times over, never block: they only slow refused answers", () => {
    const { brake: b } = brake();
    const holds: number[] = [];
    for (let round = 0; round < 5; round++) for (const call of HABITS) holds.push(b.refused(call).holdMs);
    expect(blocked(b)).toBe(false);
    expect(blocked(b, "read_pane", true)).toBe(false);
    // The first slowAfter refusals are answered at once; the rest one at a time, slowMs apart.
    expect(holds.slice(0, 3)).toEqual([0, 0, 0]);
    expect(holds[3]).toBe(500);
    expect(holds[4]).toBe(1000);
  });

  it("the agent is told once, with the refusal that engages the brake", () => {
    const { brake: b } = brake();
    const verdicts = HABITS.slice(0, 6).map((call) => b.refused(call));
    expect(verdicts.map((v) => v.notice !== undefined)).toEqual([false, false, false, true, false, false]);
    expect(verdicts[3]?.notice).toMatch(/allowed calls are not slowed.*"Instead:"/);
    expect(verdicts[3]?.events).toMatchObject([{ severity: "medium" }]);
  });

  it("refusals spread wider than the window never slow anything", () => {
    const { brake: b, advance } = brake();
    for (let i = 0; i < 20; i++) {
      expect(b.refused(HABITS[i % HABITS.length] as RefusedCall).holdMs).toBe(0);
      advance(31_000);
    }
  });

  it("concurrent refusals are answered one at a time: a burst cannot dodge the brake", () => {
    const { brake: b } = brake();
    const holds = Array.from({ length: 8 }, () => b.refused(HABITS[0] as RefusedCall).holdMs);
    expect(holds).toEqual([0, 0, 0, 500, 1000, 1500, 2000, 2500]);
  });

  it("reconnaissance of hidden paths and /proc blocks the connection from acting and roaming", () => {
    const { brake: b } = brake();
    const attempts = [
      spawnRefused("cat ~/.ssh/id_rsa", "PATH_OUTSIDE_WORKSPACE"),
      spawnRefused("cat /proc/self/environ", "PATH_OUTSIDE_WORKSPACE"),
      spawnRefused("ls /root", "PATH_OUTSIDE_WORKSPACE"),
    ];
    for (const call of attempts) b.refused(call);
    expect(blocked(b)).toBe(false);
    const verdict = b.refused(spawnRefused("cat $HOME/.aws/credentials", "COMMAND_SYNTAX_FORBIDDEN"));
    expect(verdict.events.map((e) => e.severity)).toContain("high");
    expect(verdict.notice).toMatch(/blocked from spawning/);
    expect(blocked(b, "spawn")).toBe(true);
    expect(blocked(b, "send_keys")).toBe(true);
    // Security: run starts programs as spawn does (a blocked connection starting them through run).
    expect(blocked(b, "run")).toBe(true);
    expect(blocked(b, "read_pane", true)).toBe(true);
    // Its own panes stay readable and killable: the block stops the probing, not the clean-up.
    expect(blocked(b, "read_pane", false)).toBe(false);
    expect(blocked(b, "kill_pane", false)).toBe(false);
  });

  it("loader and secret variable names, encoded paths and invisible characters block", () => {
    const { brake: b } = brake();
    const env = (name: string): RefusedCall => ({
      tool: "spawn",
      code: "ENV_NOT_ALLOWED",
      data: { name },
      args: { command: "node a.js", env: { [name]: "x" } },
    });
    b.refused(env("LD_PRELOAD"));
    b.refused(env("GITHUB_TOKEN"));
    b.refused(spawnRefused("cat %2e%2e/x", "PATH_INVALID", { reason: "the path contains percent-encoding" }));
    expect(blocked(b)).toBe(false);
    b.refused(spawnRefused("echo a\u202eb", "COMMAND_SYNTAX_FORBIDDEN", { syntax: "invisible" }));
    expect(blocked(b)).toBe(true);
  });

  it("guessing pane ids it was never given blocks; asking again for its own old panes does not", () => {
    const { brake: b } = brake();
    b.given(["p-own1", "p-own2"]);
    const read = (pane: string): RefusedCall => ({
      tool: "read_pane",
      code: "PANE_NOT_FOUND",
      data: {},
      args: { pane },
      paneKnown: b.wasGiven(pane),
    });
    for (let i = 0; i < 20; i++) b.refused(read(i % 2 ? "p-own1" : "p-own2"));
    expect(blocked(b)).toBe(false);
    for (let i = 0; i < 12; i++) b.refused(read(`p-guess${i}`));
    expect(blocked(b, "read_pane", true)).toBe(true);
  });

  it("enumerating many distinct programs blocks; the same few programs again and again do not", () => {
    const { brake: b } = brake();
    for (let i = 0; i < 30; i++) {
      const program = ["python3", "make", "rg", "curl"][i % 4] as string;
      b.refused(spawnRefused(`${program} x`, "COMMAND_NOT_ALLOWED", { program }));
    }
    expect(blocked(b)).toBe(false);
    const programs =
      "nc socat perl ruby php nmap ssh wget busybox strace gdb lua tclsh awk dd xxd base64 openssl scp ftp".split(
        " ",
      );
    for (const program of programs) b.refused(spawnRefused(program, "COMMAND_NOT_ALLOWED", { program }));
    expect(blocked(b)).toBe(true);
  });

  it("repeating one probe does not add up: distinct targets do (a retry is not a new probe)", () => {
    const { brake: b } = brake();
    for (let i = 0; i < 50; i++) b.refused(spawnRefused("cat /proc/self/environ", "PATH_OUTSIDE_WORKSPACE"));
    expect(blocked(b)).toBe(false);
  });

  it("slow probing spread wider than the probe window never adds up; the block ends after the cool-down", () => {
    const { brake: b, advance } = brake();
    for (let i = 0; i < 12; i++) {
      b.refused(spawnRefused(`cat /proc/${i}/environ`, "PATH_OUTSIDE_WORKSPACE"));
      advance(250_000);
    }
    expect(blocked(b)).toBe(false);
    for (let i = 0; i < 5; i++) b.refused(spawnRefused(`cat /proc/${i}/environ`, "PATH_OUTSIDE_WORKSPACE"));
    expect(blocked(b)).toBe(true);
    advance(300_001);
    expect(blocked(b)).toBe(false);
  });

  it.each(["INVALID_ARGUMENT", "UNKNOWN_KEY", "LIMIT_EXCEEDED"])(
    "a flood of malformed or oversized calls (%s) is slowed, one answer at a time",
    (code) => {
      const { brake: b } = brake();
      const holds = Array.from(
        { length: 6 },
        () => b.refused({ tool: "spawn", code, data: {}, args: { junk: "x".repeat(100) } }).holdMs,
      );
      expect(holds).toEqual([0, 0, 0, 500, 1000, 1500]);
    },
  );

  it("a pane already gone, a rate limit or the brake itself is not counted", () => {
    const { brake: b } = brake();
    for (const code of ["PANE_NOT_FOUND", "PANE_EXITED", "RATE_LIMITED"]) {
      for (let i = 0; i < 10; i++) {
        expect(b.refused({ tool: "kill_pane", code, data: {}, args: {}, paneKnown: true }).holdMs).toBe(0);
      }
    }
  });
});
