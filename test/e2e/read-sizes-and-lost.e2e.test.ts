import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";

// Issue 10, item 7: a scrollback read without `lines` and the first `new` read returned up to 90 000
// characters; the first `new` read said `lost: false` even when 40 000 lines were dropped before it; `lines`
// was ignored outside `scrollback`.
type Read = { text: string; lost: boolean; truncated: boolean };

describe.each(["off", "required"] as const)("read sizes and lost lines (sandbox %s)", (mode) => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "seq", args: ["* *"] }],
      limits: { scrollbackLines: 1000 },
      sandbox: { mode },
    });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  const run = async (from: number, to: number): Promise<string> => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: `seq ${from} ${to}` });
    const waited = await mcp.ok<{ matched: boolean }>("wait_for", { pane, exit: true, timeout_ms: 30_000 });
    expect(waited.matched).toBe(true);
    return pane;
  };

  it("the first new read after 40 000 lines says lost, and is small by default", async () => {
    const pane = await run(1, 40_000);
    const first = await mcp.ok<Read>("read_pane", { pane, mode: "new" });
    expect(first.lost).toBe(true);
    expect(first.truncated).toBe(true);
    expect(first.text.length).toBeLessThanOrEqual(16_000);
    const lines = first.text.split("\n");
    expect(lines).toHaveLength(201); // a marker line, then the last 200
    expect(lines[0]).toMatch(/^\[… \d+ earlier lines truncated …\]$/);
    expect(lines.at(-1)).toBe("40000");
    // the place moved past the cut lines: nothing is new now, and nothing was lost since
    const again = await mcp.ok<Read>("read_pane", { pane, mode: "new" });
    expect(again).toMatchObject({ text: "", lost: false });
    const scrollback = await mcp.ok<Read>("read_pane", { pane, mode: "scrollback" });
    expect(scrollback.text.split("\n")).toHaveLength(201);
    expect(scrollback.text.length).toBeLessThanOrEqual(16_000);
    const more = await mcp.ok<Read>("read_pane", { pane, mode: "scrollback", lines: 900 });
    expect(more.text.split("\n").slice(1)).toEqual(Array.from({ length: 900 }, (_, i) => `${39_101 + i}`));
  });

  it("a first new read with nothing dropped is not lost (control)", async () => {
    const pane = await run(1, 50);
    const first = await mcp.ok<Read>("read_pane", { pane, mode: "new" });
    expect(first).toMatchObject({ lost: false, truncated: false });
    expect(first.text.split("\n")).toEqual(Array.from({ length: 50 }, (_, i) => `${i + 1}`));
  });

  it("`lines` works in every mode", async () => {
    const pane = await run(1, 30);
    const screen = await mcp.ok<Read>("read_pane", { pane, lines: 2 });
    expect(screen.text).toMatch(/^\[… \d+ earlier lines truncated …\]\n29\n30$/);
    expect(screen.truncated).toBe(true);
    const fresh = await mcp.ok<Read>("read_pane", { pane, mode: "new", lines: 3 });
    expect(fresh).toMatchObject({ text: "[… 27 earlier lines truncated …]\n28\n29\n30", truncated: true });
    const scrollback = await mcp.ok<Read>("read_pane", { pane, mode: "scrollback", lines: 1 });
    expect(scrollback.text).toBe("[… 29 earlier lines truncated …]\n30");
  });
});
