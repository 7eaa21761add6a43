import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/** A person's pane that prints the size its terminal has, over and over: `size-ROWS COLS`. */
const SIZE_PRINTER = "bash --norc --noprofile -c 'while :; do echo size-$(stty size); sleep 0.1; done'";
const SHELL = "bash --norc --noprofile";

interface Waited {
  matched: boolean;
  text: string;
}

describe("resize_pane through the real MCP client (ccmux serve over stdio)", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  const person: Record<string, string> = {};

  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      panes: [
        { name: "ro", command: SIZE_PRINTER, access: "read" },
        { name: "rw", command: SIZE_PRINTER, access: "write" },
        { name: "hidden", command: SIZE_PRINTER, access: "none" },
      ],
      sandbox: { mode: "off" },
    });
    mcp = await serveWorkspace(ws);
    const { panes } = await mcp.ok<{ panes: Array<{ pane: string; name: string }> }>("list_panes");
    for (const pane of panes) person[pane.name] = pane.pane;
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  /** A bash pane of 80×24 whose WINCH trap prints `winch-ROWS COLS` as the shell sees its terminal. */
  async function shellWithWinchTrap(): Promise<string> {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: SHELL, cols: 80, rows: 24 });
    const set = await mcp.ok<{ wait: Waited }>("send_keys", {
      pane,
      text: "trap 'echo winch-$(stty size)' WINCH; echo trap-$((6*7))",
      submit: true,
      wait: { text: "trap-42" },
    });
    expect(set.wait.matched).toBe(true);
    return pane;
  }

  let asked = 0;
  /** What `stty size` says in the shell pane now ("ROWS COLS"). */
  async function sttySize(pane: string): Promise<string> {
    const n = ++asked;
    const typed = await mcp.ok<{ wait: Waited }>("send_keys", {
      pane,
      text: `echo stty-${n}-$(stty size | tr ' ' x)`,
      submit: true,
      wait: { regex: `^stty-${n}-\\d+x\\d+$` },
    });
    expect(typed.wait.matched).toBe(true);
    const size = new RegExp(`^stty-${n}-(\\d+)x(\\d+)$`, "m").exec(typed.wait.text);
    return `${size?.[1]} ${size?.[2]}`;
  }

  /** The size a person's SIZE_PRINTER pane reports in a line printed after this call began. */
  async function printedSize(pane: string): Promise<string> {
    const waited = await mcp.ok<Waited>("wait_for", {
      pane,
      regex: "^size-\\d+ \\d+$",
      since: "now",
      timeout_ms: 10_000,
    });
    expect(waited.matched).toBe(true);
    const sizes = [...waited.text.matchAll(/^size-(\d+ \d+)$/gm)].map((m) => m[1]);
    return sizes.at(-1) as string;
  }

  it("the program in the pane gets SIGWINCH and sees the new size", async () => {
    const pane = await shellWithWinchTrap();
    expect(await sttySize(pane)).toBe("24 80");
    const resized = await mcp.ok("resize_pane", { pane, cols: 100, rows: 30 });
    expect(resized).toEqual({ pane, cols: 100, rows: 30 });
    const winch = await mcp.ok<Waited>("wait_for", { pane, text: "winch-30 100", timeout_ms: 10_000 });
    expect(winch.matched).toBe(true);
    expect(await sttySize(pane)).toBe("30 100");
    // The emulator has the new width too: a 100-character line is one row, not wrapped at 80.
    await mcp.ok("send_keys", { pane, text: "printf '%0100d\\n' 0", submit: true });
    const wide = await mcp.ok<Waited>("wait_for", { pane, regex: "^0{100}$", timeout_ms: 10_000 });
    expect(wide.matched).toBe(true);
    await mcp.ok("kill_pane", { pane });
  });

  it("a screen drawn by cursor addressing, the cursor parked above its bottom, keeps every row when narrowed", async () => {
    // Attack review: xterm garbled the rows below the cursor (see test/panes/resize-rows-below-cursor.test.ts).
    // At 39 columns the six rows take twelve: rows 1-3 go to history, the cursor's row 4 and the rows below it
    // fill the screen.
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: SHELL, cols: 40, rows: 6 });
    const draw =
      "clear; for r in 1 2 3 4 5 6; do printf '\\033[%d;1Hrow%d%036d' $r $r 0; done; printf '\\033[4;1H'; sleep 600";
    await mcp.ok("send_keys", { pane, text: draw, submit: true });
    const drawn = await mcp.ok<Waited>("wait_for", {
      pane,
      regex: `^row6${"0".repeat(36)}$`,
      timeout_ms: 10_000,
    });
    expect(drawn.matched).toBe(true);
    await mcp.ok("resize_pane", { pane, cols: 39, rows: 6 });
    const read = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    const lines = read.text.split("\n");
    for (let row = 1; row <= 6; row++) expect(lines).toContain(`row${row}${"0".repeat(36)}`);
    await mcp.ok("kill_pane", { pane });
  });

  it("sizes outside spawn's bounds are INVALID_ARGUMENT and leave the pane's size alone", async () => {
    const pane = await shellWithWinchTrap();
    const outside = [
      { cols: 19, rows: 24 },
      { cols: 401, rows: 24 },
      { cols: 80, rows: 4 },
      { cols: 80, rows: 201 },
      { cols: 80.5, rows: 24 },
      { cols: -80, rows: 24 },
      { cols: 80 },
      { cols: 80, rows: 24, extra: true },
    ];
    for (const size of outside) await mcp.refused("resize_pane", { pane, ...size }, "INVALID_ARGUMENT");
    // Nothing reached the terminal: no SIGWINCH was trapped, and the shell still sees 80×24.
    expect(await sttySize(pane)).toBe("24 80");
    const read = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    expect(read.text).not.toMatch(/winch-\d/);
    // The bounds themselves are allowed.
    await mcp.ok("resize_pane", { pane, cols: 20, rows: 5 });
    expect(await sttySize(pane)).toBe("5 20");
    await mcp.ok("resize_pane", { pane, cols: 400, rows: 200 });
    expect(await sttySize(pane)).toBe("200 400");
    await mcp.ok("kill_pane", { pane });
  });

  it("a person's pane with read access cannot be resized: PANE_FORBIDDEN, and its size is unchanged", async () => {
    const ro = person.ro as string;
    expect(await printedSize(ro)).toBe("40 120");
    await mcp.refused("resize_pane", { pane: ro, cols: 60, rows: 10 }, "PANE_FORBIDDEN");
    expect(await printedSize(ro)).toBe("40 120");
    await mcp.refused("resize_pane", { pane: person.hidden as string, cols: 60, rows: 10 }, "PANE_FORBIDDEN");
  });

  it("a person's pane with write access can be resized", async () => {
    const rw = person.rw as string;
    expect(await printedSize(rw)).toBe("40 120");
    await mcp.ok("resize_pane", { pane: rw, cols: 60, rows: 10 });
    expect(await printedSize(rw)).toBe("10 60");
  });

  it("a pane that is not there, or has exited, is refused with the codes other tools use", async () => {
    await mcp.refused("resize_pane", { pane: "p-nosuchpane", cols: 80, rows: 24 }, "PANE_NOT_FOUND");
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: SHELL });
    await mcp.ok("send_keys", { pane, text: "exit 3", submit: true });
    const ended = await mcp.ok<{ exitCode: number }>("wait_for", { pane, exit: true, timeout_ms: 10_000 });
    expect(ended.exitCode).toBe(3);
    await mcp.refused("resize_pane", { pane, cols: 80, rows: 24 }, "PANE_EXITED");
  });

  it("every resize_pane call is audited with origin agent: allowed, refused by bounds, forbidden", async () => {
    const records = readAudit(ws.auditPath).filter((record) => record.tool === "resize_pane");
    const seen = new Set(records.map((record) => `${record.decision} ${record.code ?? ""}`.trim()));
    expect(seen).toEqual(
      new Set([
        "allow",
        "deny INVALID_ARGUMENT",
        "deny PANE_FORBIDDEN",
        "deny PANE_NOT_FOUND",
        "deny PANE_EXITED",
      ]),
    );
    expect(records.every((record) => record.origin === "agent")).toBe(true);
    const allowed = records.find((record) => record.decision === "allow" && record.pane === person.rw);
    expect(allowed).toMatchObject({ event: "call", args: { pane: person.rw, cols: 60, rows: 10 } });
    expect(typeof allowed?.pid).toBe("number");
    // Every agent call in the log says so, whatever the tool.
    const calls = readAudit(ws.auditPath).filter((r) => r.event === "call" || r.event === "outcome");
    expect(calls.length).toBeGreaterThan(records.length);
    expect(calls.filter((record) => record.origin !== "agent")).toEqual([]);
  });

  it("tools/list declares resize_pane with its bounds, an output schema and annotations", async () => {
    const { tools } = await mcp.client.listTools();
    const tool = tools.find((each) => each.name === "resize_pane");
    expect(tool?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(tool?.outputSchema?.required).toEqual(["pane", "cols", "rows"]);
    const properties = tool?.inputSchema.properties as Record<string, { minimum: number; maximum: number }>;
    const spawn = tools.find((each) => each.name === "spawn")?.inputSchema.properties as typeof properties;
    for (const field of ["cols", "rows"] as const) {
      expect([properties[field]?.minimum, properties[field]?.maximum]).toEqual([
        spawn[field]?.minimum,
        spawn[field]?.maximum,
      ]);
    }
    expect(tool?.inputSchema.required).toEqual(["pane", "cols", "rows"]);
  });
});
