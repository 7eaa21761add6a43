import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  eventually,
  giveToPanes,
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
  textOf,
} from "../support/mcp-harness.js";
import { type ReplayedCall, readTranscript, replay } from "../support/transcript-replay.js";

/**
 * The probing brake through the real server, with the policy's default thresholds. Honest agents bring shell
 * habits (`| tail`, `&&`, `VAR=1 cmd`, `$PATH`, a program not in the list): those must never slow an allowed
 * call nor block. An attacker mapping the machine must still be stopped.
 */
const TRANSCRIPTS = resolve(import.meta.dirname, "../fixtures/transcripts");

/** The example policy's commands (examples/ccmux.json), as a person starts from it. */
const COMMANDS = [
  { command: "bash", args: ["--norc", "--noprofile"], input: "raw" },
  { command: "node", args: ["{path}", "{path} **", "--test **", "--version"], input: "raw" },
  { command: "npm", args: ["test", "run *", "run * -- **"], input: "keys" },
  { command: "git", args: ["status", "status **", "diff **", "log **", "show **"], input: "keys" },
  { command: "ls", args: ["", "**"] },
  { command: "cat", args: ["{path}"] },
  { command: "echo", args: ["**"] },
];

let ws: TestWorkspace | undefined;
let mcp: Served | undefined;
afterEach(async () => {
  await mcp?.close();
  mcp = undefined;
  ws?.cleanup();
});

/** A small Node project under git, as an agent finds it in the morning. */
function plantProject(root: string): void {
  const files: Record<string, string> = {
    "package.json": JSON.stringify({
      name: "demo",
      version: "1.0.0",
      type: "module",
      scripts: { test: "node --test test/", build: "node scripts/build.js", lint: "node scripts/lint.js" },
    }),
    "README.md": "# demo\n\nA small project.\n",
    "src/math.js":
      "export const add = (a, b) => a + b;\nexport const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;\n",
    "src/app.js":
      'import { mean } from "./math.js";\nconsole.log("mean=" + mean([1, 2, 3, 4]) + " env=" + (process.env.NODE_ENV ?? "none"));\n',
    "src/server.js":
      'import readline from "node:readline";\nconsole.log("ready on :3000");\nconst started = Date.now();\nreadline.createInterface({ input: process.stdin }).on("line", (line) => {\n  if (line.trim() === "status") console.log("uptime " + (Date.now() - started) + " ms");\n});\n',
    "test/math.test.js":
      'import test from "node:test";\nimport assert from "node:assert";\nimport { add, mean } from "../src/math.js";\ntest("add", () => assert.equal(add(1, 2), 3));\ntest("mean", () => assert.equal(mean([1, 2, 3]), 2));\n',
    "scripts/build.js":
      'import fs from "node:fs";\nfs.mkdirSync("dist", { recursive: true });\nfs.copyFileSync(new URL("../src/math.js", import.meta.url), "dist/math.js");\nconsole.log("built");\n',
    "scripts/lint.js": 'console.log("lint ok");\n',
    ".home/.keep": "",
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  const git = (...args: string[]) => spawnSync("git", args, { cwd: root, encoding: "utf8" });
  git("init", "-q");
  git("config", "user.email", "dev@example.com");
  git("config", "user.name", "Dev");
  git("add", ".");
  git("commit", "-qm", "initial");
  giveToPanes(root);
}

async function start(anomalies: Record<string, unknown> = {}) {
  ws = makeWorkspace({
    commands: COMMANDS,
    env: {
      pass: ["PATH", "LANG"],
      fromAgent: ["NODE_ENV", "CI"],
      set: { npm_config_update_notifier: "false", npm_config_fund: "false" },
    },
    // The example policy's rate; the anomaly thresholds are the defaults unless a test sets them.
    limits: { maxPanes: 64, callsPerMinute: 600 },
    anomalies,
    sandbox: { mode: "off" },
  });
  plantProject(ws.root);
  // npm wants a home it can write: one inside the workspace, fixed by the person.
  const policy = JSON.parse(readFileSync(ws.policyPath, "utf8")) as { env: { set: Record<string, string> } };
  policy.env.set.HOME = join(ws.root, ".home");
  writeFileSync(ws.policyPath, JSON.stringify(policy));
  mcp = await serveWorkspace(ws);
  const alerts: Array<Record<string, unknown>> = [];
  mcp.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    alerts.push(notification.params as Record<string, unknown>);
  });
  return { mcp, ws, alerts };
}

const DEFAULT_SLOW_MS = 1_000;
/** Calls that return at once unless held back: every tool but waits. */
const quick = (r: ReplayedCall) =>
  r.call.tool !== "wait_for" && !(r.call.tool === "send_keys" && r.call.args.wait !== undefined);

function mismatches(results: readonly ReplayedCall[]): string[] {
  return results
    .filter((r) => r.outcome !== r.call.expect)
    .map(
      (r) =>
        `${r.call.t} ${r.call.tool} ${JSON.stringify(r.call.args)}: expected ${r.call.expect}, got ${r.outcome}`,
    );
}

describe("the probing brake", () => {
  it("an honest agent's morning of shell habits slows no allowed call and blocks nothing", async () => {
    const calls = readTranscript(join(TRANSCRIPTS, "honest-morning.jsonl"));
    const mistakes = calls.filter((c) => c.expect !== "ok");
    expect(calls.length).toBeGreaterThanOrEqual(150);
    expect(mistakes.length).toBeGreaterThanOrEqual(30);
    const { mcp, ws } = await start();
    // Replayed back to back: the whole morning's mistakes fall into one minute, the worst case for the brake.
    const results = await replay(mcp, calls);
    const allowed = results.filter((r) => r.outcome === "ok");
    const refused = results.filter((r) => r.outcome !== "ok");
    const slowAllowed = allowed.filter((r) => quick(r) && r.ms >= DEFAULT_SLOW_MS);
    const heldRefused = refused.filter((r) => r.ms >= DEFAULT_SLOW_MS);
    const security = readAudit(ws.auditPath).filter((r) => r.event === "security");
    console.error(
      `honest morning: ${calls.length} calls, ${mistakes.length} mistakes; allowed calls taking ≥ ${DEFAULT_SLOW_MS} ms: ${slowAllowed.length}/${allowed.filter(quick).length}; refused answers held: ${heldRefused.length}/${refused.length}; security records: ${JSON.stringify(security.map((r) => [r.rule, r.severity]))}`,
    );
    expect(mismatches(results)).toEqual([]);
    expect(results.some((r) => r.outcome === "ANOMALY_BLOCKED")).toBe(false);
    expect(security.filter((r) => r.rule === "probing" && r.severity === "high")).toEqual([]);
    // The old brake held every call back a second once slowed: dozens of allowed calls. A busy machine may make
    // a spawn or two slow on its own; the brake never does.
    expect(slowAllowed.length).toBeLessThan(3);
    // Told at most once that it is being slowed, and why.
    const notices = results.flatMap((r) => r.notices);
    expect(notices.length).toBeLessThanOrEqual(1);
  }, 300_000);

  it("an attacker's reconnaissance (hidden paths, /proc, loader variables) is blocked, audited and alerted", async () => {
    const { mcp, ws, alerts } = await start();
    const results = await replay(mcp, readTranscript(join(TRANSCRIPTS, "attacker-recon.jsonl")));
    expect(mismatches(results)).toEqual([]);
    const blocking = results.find((r) => r.notices.some((n) => n.includes("blocked")));
    expect(blocking?.call.args).toMatchObject({ env: { LD_PRELOAD: "/tmp/x.so" } });
    const blockedText = textOf(await mcp.call("spawn", { command: "echo again" }));
    expect(blockedText).toMatch(/^ANOMALY_BLOCKED: .*hidden-path ×\d.*retry after \d+ ms/);
    expect(
      readAudit(ws.auditPath).filter((r) => r.event === "security" && r.rule === "probing"),
    ).toMatchObject([{ severity: "high", detail: { signals: expect.any(Array) } }]);
    await eventually(() => alerts.some((a) => a.level === "alert"));
    expect(mcp.stderr()).toContain("security (high): probing");
  }, 120_000);

  it("allowed calls are never held back while refused ones are (the old brake held every call)", async () => {
    const { mcp } = await start({ probing: { slowAfter: 2, slowMs: 60_000 } });
    await mcp.refused("spawn", { command: "npm test | tail" }, "COMMAND_SYNTAX_FORBIDDEN");
    await mcp.refused("spawn", { command: "python3 x.py" }, "COMMAND_NOT_ALLOWED");
    const controller = new AbortController();
    let heldAnswered = false;
    const held = mcp.client
      .callTool({ name: "spawn", arguments: { command: "echo $HOME" } }, undefined, {
        signal: controller.signal,
        timeout: 120_000,
      })
      .then(
        () => {
          heldAnswered = true;
        },
        () => {},
      );
    // The third refusal is held 60 s; allowed calls meanwhile answer at once (a 20 s timeout would fail them).
    const { pane } = await mcp.client
      .callTool({ name: "spawn", arguments: { command: "echo still working" } }, undefined, {
        timeout: 20_000,
      })
      .then((r) => r.structuredContent as { pane: string });
    await mcp.client.callTool(
      { name: "wait_for", arguments: { pane, exit: true, timeout_ms: 10_000 } },
      undefined,
      {
        timeout: 20_000,
      },
    );
    await mcp.client.callTool({ name: "list_panes", arguments: {} }, undefined, { timeout: 20_000 });
    expect(heldAnswered).toBe(false);
    controller.abort();
    await held;
  }, 120_000);

  it("the agent is told once, with the refusal that engages the brake, what is happening and why", async () => {
    const { mcp } = await start({ probing: { slowAfter: 2, slowMs: 50 } });
    const answers = [];
    for (const command of [
      "npm test | tail",
      "cd src && npm test",
      "NODE_ENV=x node a.js",
      "echo $PATH",
      "ls *.js",
    ]) {
      answers.push(await mcp.call("spawn", { command }));
    }
    const notices = answers.map((a) => a.content.slice(1).map((b) => (b.type === "text" ? b.text : "")));
    expect(notices.map((n) => n.length)).toEqual([0, 0, 1, 0, 0]);
    expect(notices[2]?.[0]).toMatch(
      /refused calls are now answered 50 ms apart; allowed calls are not slowed\. Follow the "Instead:" advice/,
    );
    // The refusal itself still leads with its code and its advice.
    expect(textOf(answers[2] as never)).toMatch(
      /^COMMAND_SYNTAX_FORBIDDEN: .*Instead: pass variables in spawn's env/,
    );
  }, 60_000);
});
