import { afterEach, describe, expect, it } from "vitest";
import { type TestDaemons, testDaemons } from "../support/daemon-harness.js";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";

/**
 * The tools answer the same whether panes live in `serve` or in the daemon behind `serve --daemon`: one run of
 * calls, through the real MCP client, against both. What differs by design (pane ids, pids, timings) is left
 * out of the comparison; everything else must be equal.
 */
const WAYS = [
  ["serve (embedded pane host)", false],
  ["serve --daemon (bridge to the daemon)", true],
] as const;

interface Transcript {
  steps: Array<[string, unknown]>;
}

describe("the tools over both pane hosts", () => {
  let ws: TestWorkspace | undefined;
  let daemons: TestDaemons | undefined;
  let client: Served | undefined;
  afterEach(async () => {
    await client?.close().catch(() => {});
    await daemons?.stopAll();
    ws?.cleanup();
    client = undefined;
    daemons = undefined;
    ws = undefined;
  });

  async function run(viaDaemon: boolean): Promise<Transcript> {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "off" },
    });
    if (viaDaemon) {
      daemons = testDaemons(ws);
      client = await daemons.connect("contract");
    } else client = await serveWorkspace(ws);
    const c = client;
    const steps: Array<[string, unknown]> = [];
    const record = (name: string, value: unknown) => steps.push([name, value]);
    const tools = await c.client.listTools();
    record(
      "tools",
      tools.tools.map((tool) => tool.name),
    );
    const spawned = await c.ok<{ pane: string; pid: number; argv: string[]; cwd: string }>("spawn", {
      command: "bash --norc --noprofile",
      name: "contract",
    });
    const { pane } = spawned;
    record("spawn", { ...spawned, pane: "P", pid: "PID" });
    const typed = await c.ok<{ wait: { text: string; matched: boolean; reason: string } }>("send_keys", {
      pane,
      text: "echo contract-$((6*7))",
      submit: true,
      wait: { text: "contract-42" },
    });
    // The excerpt's first line depends on whether bash had drawn its prompt before the keys came: not compared.
    record("send_keys", {
      matched: typed.wait.matched,
      reason: typed.wait.reason,
      answered: typed.wait.text.includes("contract-42"),
    });
    const firstNew = await c.ok<{ text: string; lost: boolean }>("read_pane", { pane, mode: "new" });
    record("read new", { hasAnswer: firstNew.text.includes("contract-42"), lost: firstNew.lost });
    await c.ok("send_keys", { pane, text: "echo second-$((1+1))", submit: true, wait: { text: "second-2" } });
    const secondNew = await c.ok<{ text: string }>("read_pane", { pane, mode: "new" });
    record("read new again", {
      hasNew: secondNew.text.includes("second-2"),
      hasOld: secondNew.text.includes("contract-42"),
    });
    const listed = await c.ok<{ panes: Array<Record<string, unknown>> }>("list_panes");
    record(
      "list_panes",
      listed.panes.map((p) => ({ ...p, pane: p.pane === pane ? "P" : "other", pid: "PID" })),
    );
    record(
      "refused spawn",
      (await c.refused("spawn", { command: "rm -rf /" }, "COMMAND_NOT_ALLOWED")).split("\n")[0],
    );
    record(
      "refused pane",
      (await c.refused("read_pane", { pane: "p-AAAAAAAAAAAAAAAA" }, "PANE_NOT_FOUND")).split("\n")[0],
    );
    await c.ok("send_keys", { pane, text: "exit 7", submit: true });
    const exited = await c.ok<{ matched: boolean; reason: string; exitCode: number | null }>("wait_for", {
      pane,
      exit: true,
    });
    record("wait exit", { matched: exited.matched, reason: exited.reason, exitCode: exited.exitCode });
    const killed = await c.ok("kill_pane", { pane });
    const again = await c.ok("kill_pane", { pane });
    record(
      "kill twice",
      [killed, again].map((k) => ({ ...(k as object), pane: "P" })),
    );
    return { steps };
  }

  it("every call answers the same through serve and through serve --daemon", async () => {
    const results: Transcript[] = [];
    for (const [, viaDaemon] of WAYS) {
      results.push(await run(viaDaemon));
      await client?.close();
      client = undefined;
      await daemons?.stopAll();
      daemons = undefined;
      ws?.cleanup();
      ws = undefined;
    }
    const [embedded, daemon] = results as [Transcript, Transcript];
    // Paths differ by workspace (each run has its own): compare them as shapes.
    const shape = (t: Transcript) =>
      JSON.parse(JSON.stringify(t.steps).replace(/\/[^"]*ccmux-e2e-[^/"]+/g, "WS"));
    expect(shape(daemon)).toEqual(shape(embedded));
    expect(embedded.steps.length).toBe(10);
  });
});
