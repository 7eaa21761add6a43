import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";

// Attack review of the parse-cost bound: a pane printed 2 MB of plain lines, then screenfuls of REP
// (`x ESC[65535b`, ~2.7 ms for 9 bytes at 400×200). The backlog had been let in at the plain rate (512 KB), so
// one read_pane of that pane waited 124 s, resize_pane over 120 s, and kill_pane 5 s. A call now waits 2 s at
// most for its pane's backlog and then answers on the screen as parsed, saying so; a killed pane's backlog is
// dropped. The bounds leave room for a loaded machine; the old figures are far past them.
const MAX_CALL_MS = 8000;
const MAX_KILL_MS = 3000;
const BEHIND = "prints faster than its screen can be drawn";

describe("output that turns costly after a cheap start", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace(
      {
        commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
        limits: { callsPerMinute: 100_000 },
      },
      { busy: true },
    );
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  /** A 400×200 pane that prints plain lines, then REP screenfuls without end; resolves once the REP began. */
  async function turningPane(): Promise<string> {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", {
      command: "bash --norc --noprofile",
      cols: 400,
      rows: 200,
    });
    await mcp.ok("send_keys", {
      pane,
      text: "yes 'hello world plain line' | head -c 2000000; yes $'x\\e[65535b' | tr -d '\\n'",
      submit: true,
    });
    // The REP began once a row is full of x (the command line holds none in a row).
    const deadline = performance.now() + 60_000;
    while (!(await mcp.ok<{ text: string }>("read_pane", { pane })).text.includes("x".repeat(100)))
      expect(performance.now()).toBeLessThan(deadline);
    return pane;
  }

  async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await work;
    return { value, ms: performance.now() - started };
  }

  it(`read_pane of that pane answers within ${MAX_CALL_MS} ms and says its screen is behind; kill_pane within ${MAX_KILL_MS} ms`, async () => {
    const pane = await turningPane();
    const reads: number[] = [];
    let behind = 0;
    for (let i = 0; i < 4; i++) {
      const read = await timed(mcp.ok<{ text: string }>("read_pane", { pane }));
      reads.push(read.ms);
      if (read.value.text.includes(BEHIND)) behind += 1;
    }
    const killed = await timed(mcp.ok("kill_pane", { pane, signal: "SIGKILL" }));
    console.log(
      `reads: ${reads.map(Math.round).join(", ")} ms (${behind} behind); kill_pane ${Math.round(killed.ms)} ms`,
    );
    expect(Math.max(...reads)).toBeLessThan(MAX_CALL_MS);
    expect(behind).toBeGreaterThan(0);
    expect(killed.ms).toBeLessThan(MAX_KILL_MS);
  }, 180_000);

  it(`resize_pane of that pane, to 20×5 and back, answers within ${MAX_CALL_MS} ms each`, async () => {
    const pane = await turningPane();
    const resizes: number[] = [];
    for (const [cols, rows] of [
      [20, 5],
      [400, 200],
      [20, 5],
      [400, 200],
    ] as const) {
      resizes.push((await timed(mcp.ok("resize_pane", { pane, cols, rows }))).ms);
    }
    console.log(`resizes: ${resizes.map(Math.round).join(", ")} ms`);
    expect(Math.max(...resizes)).toBeLessThan(MAX_CALL_MS);
    await mcp.ok("kill_pane", { pane, signal: "SIGKILL" });
  }, 180_000);
});
