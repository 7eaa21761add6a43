import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  makeWorkspace,
  processesWith,
  processGone,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

const POLICY = {
  commands: [
    { command: "bash", args: ["--norc --noprofile"], input: "raw" },
    { command: "echo", args: ["**"] },
    { command: "cat", args: ["{path}"] },
    { command: "sleep", args: ["*"], input: "keys" },
    { command: "printf", args: ["**"] },
  ],
  env: { pass: ["PATH", "HOME", "LANG"], fromAgent: ["GREETING"] },
};

describe("ccmux serve over stdio with the real SDK client", () => {
  let ws: TestWorkspace;
  let mcp: Served;

  beforeAll(async () => {
    ws = makeWorkspace(POLICY);
    writeFileSync(join(ws.root, "notes.txt"), "first line\nsecond line\n");
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("lists every tool with an output schema and annotations", async () => {
    const { tools } = await mcp.client.listTools();
    const names = tools.map((tool) => tool.name).sort();
    expect(names).toEqual([
      "kill_pane",
      "list_panes",
      "policy",
      "read_pane",
      "resize_pane",
      "run",
      "send_keys",
      "spawn",
      "wait_for",
    ]);
    for (const tool of tools) {
      expect(tool.outputSchema?.type).toBe("object");
      expect(tool.annotations).toBeDefined();
    }
    expect(tools.find((tool) => tool.name === "read_pane")?.annotations?.readOnlyHint).toBe(true);
    expect(tools.find((tool) => tool.name === "kill_pane")?.annotations?.destructiveHint).toBe(true);
    const spawn = tools.find((tool) => tool.name === "spawn");
    expect(spawn?.description).toContain("cat: {path}");
    expect(spawn?.description).toContain(ws.root);
    expect(spawn?.description).toContain("Panes run in a sandbox");
    expect(spawn?.description).toContain("no network");
  });

  it("the policy tool tells the agent how panes are sandboxed, but not where the person's secrets are", async () => {
    const summary = await mcp.ok<{ sandbox: { mode: string; network: boolean; readOnly: string[] } }>(
      "policy",
    );
    expect(summary.sandbox).toMatchObject({ mode: "required", network: false });
    expect(summary.sandbox.readOnly).toContain(".git/");
    expect(JSON.stringify(summary)).not.toContain(".ssh");
  });

  it("spawns a program, waits for its exit and reads its output and exit code", async () => {
    const spawned = await mcp.ok<{ pane: string; argv: string[]; cwd: string; pid: number }>("spawn", {
      command: "cat notes.txt",
    });
    expect(spawned.argv[0]).toMatch(/^\/.*\/cat$/);
    expect(spawned.cwd).toBe(ws.root);
    const waited = await mcp.ok<{ matched: boolean; reason: string; exitCode: number }>("wait_for", {
      pane: spawned.pane,
      exit: true,
      timeout_ms: 10_000,
    });
    expect(waited).toMatchObject({ matched: true, reason: "exited", exitCode: 0 });
    const read = await mcp.ok<{ text: string; alive: boolean; exitCode: number }>("read_pane", {
      pane: spawned.pane,
    });
    expect(read.text).toBe("first line\nsecond line");
    expect(read.alive).toBe(false);
    expect(read.exitCode).toBe(0);
  });

  it("quoted metacharacters are data: echo prints them instead of a shell running them", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: `echo "a;b" 'x|y' '$z' "&&"` });
    await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
    const read = await mcp.ok<{ text: string }>("read_pane", { pane });
    expect(read.text).toBe("a;b x|y $z &&");
  });

  it("drives an interactive bash: typed text, named keys, new-output reads", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", {
      command: "bash --norc --noprofile",
      env: { GREETING: "hello-from-env" },
    });
    await mcp.ok("send_keys", { pane, text: "echo $GREETING-$((6*7))", submit: true });
    const waited = await mcp.ok<{ matched: boolean; text: string }>("wait_for", {
      pane,
      text: "hello-from-env-42",
      timeout_ms: 10_000,
    });
    expect(waited.matched).toBe(true);
    const first = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "new" });
    expect(first.text).toContain("hello-from-env-42");
    await mcp.ok("send_keys", { pane, text: "echo second-marker", keys: ["Enter"] });
    await mcp.ok("wait_for", { pane, regex: "^second-marker$", timeout_ms: 10_000 });
    const second = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "new" });
    expect(second.text).toContain("second-marker");
    expect(second.text).not.toContain("hello-from-env-42");
    // C-c interrupts a foreground job and the shell survives.
    const nap = `sleep 1${process.pid}`;
    await mcp.ok("send_keys", { pane, text: nap, submit: true });
    await eventually(() => processesWith(nap).length === 1);
    await mcp.ok("send_keys", { pane, keys: ["C-c"] });
    await eventually(() => processesWith(nap).length === 0);
    await mcp.ok("send_keys", { pane, text: "echo after-interrupt", submit: true });
    const after = await mcp.ok<{ matched: boolean }>("wait_for", {
      pane,
      regex: "^after-interrupt",
      timeout_ms: 10_000,
    });
    expect(after.matched).toBe(true);
    await mcp.ok("kill_pane", { pane });
  });

  it("wait_for times out with matched: false and leaves the pane running", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "sleep 30" });
    const waited = await mcp.ok<{ matched: boolean; reason: string; alive: boolean }>("wait_for", {
      pane,
      text: "never printed",
      timeout_ms: 200,
    });
    expect(waited).toMatchObject({ matched: false, reason: "timeout", alive: true });
    await mcp.ok("kill_pane", { pane });
  });

  it("kill_pane ends the process group and returns when the process is gone", async () => {
    const marker = `4${Date.now() % 100000}`;
    const { pane, pid } = await mcp.ok<{ pane: string; pid: number }>("spawn", {
      command: `sleep ${marker}`,
    });
    // The program starts asynchronously (in the sandbox, sent to a launcher that may still be getting ready):
    // a process has its command line once exec has happened.
    await eventually(() => processesWith(`sleep ${marker}`).length > 0);
    const killed = await mcp.ok<{ alive: boolean; signal: number }>("kill_pane", { pane });
    expect(killed.alive).toBe(false);
    expect(killed.signal).toBe(15);
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    expect(processGone(pid)).toBe(true);
    await mcp.refused("read_pane", { pane }, "PANE_NOT_FOUND");
  });

  it("list_panes shows own panes with argv and state", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "sleep 20", name: "napper" });
    const { panes } = await mcp.ok<{ panes: Array<Record<string, unknown>> }>("list_panes");
    const mine = panes.find((item) => item.pane === pane);
    expect(mine).toMatchObject({
      name: "napper",
      alive: true,
      owner: "agent",
      access: "write",
      input: "keys",
      viewers: 0,
      personTyping: false,
    });
    await mcp.ok("kill_pane", { pane });
  });

  it("writes one audit record per call, with decision, tool and pane", async () => {
    const records = await eventually(() => {
      const all = readAudit(ws.auditPath);
      return all.some((record) => record.tool === "kill_pane") ? all : undefined;
    });
    expect(records[0]).toMatchObject({ event: "header", seq: 1, continues: null });
    expect(records[1]).toMatchObject({ event: "start", decision: "info" });
    const spawnAllow = records.find((record) => record.tool === "spawn" && record.decision === "allow");
    expect(spawnAllow).toMatchObject({ event: "call", origin: "agent", args: { command: "cat notes.txt" } });
    expect(typeof spawnAllow?.connection).toBe("string");
    expect(records.some((record) => record.event === "exit" && record.exitCode === 0)).toBe(true);
    const seqs = records.map((record) => record.seq);
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
  });
});
