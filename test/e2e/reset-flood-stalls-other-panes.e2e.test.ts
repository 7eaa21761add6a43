import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";

// Issue 9 (second review): 2 MB of RIS (ESC c) printed by one pane held read_pane of another pane up to 17 s,
// 600 KB of DECALN (ESC # 8) up to 2.4 s: each costs the emulator 50-85 µs, and a wait_for on the flooding
// pane parsed its whole backlog at once on the screen thread every pane shares.
// The fault made one read wait for the flooding pane's whole backlog: about as long as the flood itself. So a read
// may take up to a second, or a quarter of the flood's time where the machine is loaded enough to stretch both (a
// full CI run on two cores stretched one read to 1.1 s while the flood took longer still).
const MAX_VICTIM_READ_MS = 1000;
const MAX_VICTIM_READ_SHARE = 0.25;
// Attack review F2: a pane printing `x ESC c` over and over (a character, then a full reset: ~27 µs a byte to
// parse) kept 512 KB queued for the screen thread, and a read of that pane answers after everything written
// before it: every read_pane of it waited 10-23 s. The pane's backlog is now bounded by what it costs to parse
// (parse-cost.ts: ~200 ms of it), so a read of it waits a fraction of a second, a few on a loaded machine.
const MAX_OWN_READ_MS = 5000;

// Attack review of the parse-cost bound: a pane printed 2 MB of plain lines, then screenfuls of REP
// (`x ESC[65535b`, ~2.7 ms for 9 bytes at 400×200). The backlog had been let in at the plain rate (512 KB), so
// one read_pane of that pane waited 124 s, resize_pane over 120 s, and kill_pane 5 s. A call now waits 2 s at
// most for its pane's backlog and then answers on the screen as parsed, saying so; a killed pane's backlog is
// dropped. The bounds leave room for a loaded machine; the old figures are far past them.
const MAX_CALL_MS = 8000;
const MAX_KILL_MS = 3000;
const BEHIND = "prints faster than its screen can be drawn";

describe("a flood of costly output (resets, REP) stalls reads of other panes, and of its own", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  let victim: string;
  beforeAll(async () => {
    // Reads back to back for the whole run: this test is about the screen, not the audit budget.
    ws = makeWorkspace(
      {
        commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
        limits: { callsPerMinute: 100_000 },
      },
      { busy: true },
    );
    mcp = await serveWorkspace(ws);
    ({ pane: victim } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" }));
    await mcp.ok("send_keys", { pane: victim, text: "echo victim-$((3*4))", submit: true });
    await mcp.ok("wait_for", { pane: victim, text: "victim-12", timeout_ms: 10_000 });
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  const floods: [string, string, number][] = [
    ["ESC c (RIS)", "\\ec", 2_000_000],
    ["ESC # 8 (DECALN)", "\\e#8", 600_000],
    ["x ESC c (a visible character between resets)", "x\\ec", 60_000],
  ];
  for (const [name, sequence, bytes] of floods) {
    it(`${bytes} bytes of ${name}: the other pane's read_pane stays under ${MAX_VICTIM_READ_MS} ms or a quarter of the flood`, async () => {
      const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
      await mcp.ok("send_keys", { pane, text: "echo ready-$((2*3))", submit: true });
      await mcp.ok("wait_for", { pane, text: "ready-6", timeout_ms: 10_000 });
      await mcp.ok("send_keys", {
        pane,
        text: `yes $'${sequence}' | tr -d '\\n' | head -c ${bytes}; echo fin-$((6*7))`,
        submit: true,
      });
      // A wait on the flooding pane, as an agent would run: its reads used to parse the whole backlog at once.
      let settled = false;
      const began = performance.now();
      const wait = mcp
        .ok<{ reason: string }>("wait_for", { pane, text: "fin-42", timeout_ms: 120_000 })
        .finally(() => {
          settled = true;
        });
      const reads: number[] = [];
      while (!settled) {
        const started = performance.now();
        const read = await mcp.ok<{ text: string }>("read_pane", { pane: victim });
        reads.push(performance.now() - started);
        expect(read.text).toContain("victim-12");
      }
      expect((await wait).reason).toBe("matched");
      const max = Math.max(...reads);
      const floodMs = performance.now() - began;
      console.log(
        `${name}: flood parsed in ${Math.round(floodMs)} ms; victim reads n=${reads.length} max=${Math.round(max)} ms`,
      );
      expect(max).toBeLessThanOrEqual(Math.max(MAX_VICTIM_READ_MS, floodMs * MAX_VICTIM_READ_SHARE));
      await mcp.ok("kill_pane", { pane, signal: "SIGKILL" });
    }, 180_000);
  }

  it(`read_pane and wait_for on the pane printing x ESC c itself answer within ${MAX_OWN_READ_MS} ms while it floods`, async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    await mcp.ok("send_keys", { pane, text: "echo ready-$((2*3))", submit: true });
    await mcp.ok("wait_for", { pane, text: "ready-6", timeout_ms: 10_000 });
    // Endless: the flood goes on through every read below; the pane is killed after.
    await mcp.ok("send_keys", { pane, text: "yes $'x\\ec' | tr -d '\\n'", submit: true });
    // The flood has begun once a reset cleared the screen of the earlier output.
    const deadline = performance.now() + 60_000;
    while ((await mcp.ok<{ text: string }>("read_pane", { pane })).text.includes("ready-6"))
      expect(performance.now()).toBeLessThan(deadline);
    const reads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await mcp.ok("read_pane", { pane });
      reads.push(performance.now() - started);
    }
    // A wait that cannot match times out when asked, not after the backlog.
    const started = performance.now();
    const waited = await mcp.ok<{ reason: string }>("wait_for", {
      pane,
      text: "never-printed",
      timeout_ms: 500,
    });
    const waitMs = performance.now() - started;
    expect(waited.reason).toBe("timeout");
    console.log(
      `reads of the flooding pane: ${reads.map(Math.round).join(", ")} ms; wait_for 500 ms took ${Math.round(waitMs)} ms`,
    );
    expect(Math.max(...reads)).toBeLessThanOrEqual(MAX_OWN_READ_MS);
    expect(waitMs).toBeLessThanOrEqual(500 + MAX_OWN_READ_MS);
    await mcp.ok("kill_pane", { pane, signal: "SIGKILL" });
  }, 180_000);

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

  it(`a 400×200 pane turning from plain lines to screenfuls of REP: read_pane answers within ${MAX_CALL_MS} ms, saying so when its screen is behind; kill_pane within ${MAX_KILL_MS} ms`, async () => {
    const pane = await turningPane();
    const reads: number[] = [];
    let behind = 0;
    for (let i = 0; i < 4; i++) {
      const read = await timed(mcp.ok<{ text: string; behindBytes: number }>("read_pane", { pane }));
      reads.push(read.ms);
      // The field is what the pane cannot forge; the line at the top says it to whoever reads the text.
      expect(read.value.behindBytes > 0).toBe(read.value.text.startsWith(`[ccmux: this pane ${BEHIND}`));
      if (read.value.behindBytes > 0) behind += 1;
    }
    const killed = await timed(mcp.ok("kill_pane", { pane, signal: "SIGKILL" }));
    console.log(
      `reads: ${reads.map(Math.round).join(", ")} ms (${behind} behind); kill_pane ${Math.round(killed.ms)} ms`,
    );
    expect(Math.max(...reads)).toBeLessThan(MAX_CALL_MS);
    // Whether a read finds the screen behind depends on how fast this machine parses at that moment (all four
    // answered fully parsed in 1.0-1.9 s once): the field and the line agree on each read (above), and
    // test/panes/costly-backlog.test.ts holds the behind answer itself.
    expect(killed.ms).toBeLessThan(MAX_KILL_MS);
  }, 180_000);

  it(`a 400×200 pane turning from plain lines to screenfuls of REP: resize_pane to 20×5 and back answers within ${MAX_CALL_MS} ms each`, async () => {
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
