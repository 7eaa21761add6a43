import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  giveToPanes,
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
  unprivilegedServer,
} from "../support/mcp-harness.js";

/**
 * Issue 10 item 8: keys people need were missing (C-], Alt combinations, modified arrows and function keys), and
 * text, keys and submit went out in one write, so Escape then Enter reached the program as `ESC CR`, the bytes
 * of Alt+Enter. A raw-mode program (test/fixtures/key-reads.py) reports the bytes of each read() it gets.
 */
const FIXTURE = join(import.meta.dirname, "../fixtures/key-reads.py");

describe.each(["required", "off"] as const)("keys arrive as a terminal sends them (sandbox %s)", (mode) => {
  let ws: TestWorkspace;
  let mcp: Served;

  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [
        { command: "python3", args: ["key-reads.py", "key-reads.py app", "key-reads.py late"], input: "raw" },
        { command: "python3", args: ["key-reads.py keys"], input: "keys" },
      ],
      env: { pass: ["PATH", "LANG"] },
      sandbox: { mode },
    });
    copyFileSync(FIXTURE, join(ws.root, "key-reads.py"));
    giveToPanes(ws.root);
    // Unsandboxed, the server itself runs unprivileged (as it does for everyone not running ccmux as root): the
    // pty queue is asked without root's privileges too.
    mcp = await serveWorkspace(ws, {}, mode === "off" ? unprivilegedServer(ws) : []);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  /** A fresh reporter pane that has set its terminal up (raw mode, and DECCKM with "app"). */
  async function reporter(args = ""): Promise<string> {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", {
      command: `python3 key-reads.py ${args}`.trim(),
    });
    const ready = await mcp.ok<{ matched: boolean }>("wait_for", {
      pane,
      text: "KEYS-READY",
      timeout_ms: 20_000,
    });
    expect(ready.matched).toBe(true);
    return pane;
  }

  /** The reads the program reported, as hex strings, once one has ended in `lastHex` (a lone byte or a whole key). */
  async function readsUntil(pane: string, lastHex: string): Promise<string[]> {
    const seen = await mcp.ok<{ matched: boolean }>("wait_for", {
      pane,
      regex: `^READ \\d+ (?:.* )?${lastHex}$`,
      timeout_ms: 20_000,
    });
    expect(seen.matched).toBe(true);
    const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "screen" });
    return [...text.matchAll(/^READ \d+ (.*)$/gm)].map((m) => (m[1] ?? "").trim());
  }

  async function end(pane: string): Promise<void> {
    await mcp.call("kill_pane", { pane });
  }

  it("Escape then Enter arrive as two reads, not as Alt+Enter (ESC CR)", async () => {
    const pane = await reporter();
    await mcp.ok("send_keys", { pane, keys: ["Escape", "Enter"] });
    expect(await readsUntil(pane, "0d")).toEqual(["1b", "0d"]);
    await end(pane);
  });

  it("Escape then Enter to a program busy for a while: Enter waits until it has read the Escape", async () => {
    // Both bytes would sit in the terminal's input queue together, and one read() would take ESC CR; the server
    // watches the queue (TIOCINQ on the pty's slave side) and writes Enter only once the Escape was read.
    const pane = await reporter("late");
    await mcp.ok("send_keys", { pane, keys: ["Escape", "Enter"] });
    expect(await readsUntil(pane, "0d")).toEqual(["1b", "0d"]);
    await end(pane);
  });

  it("control: ESC CR written at once is one read, which a program takes for Alt+Enter", async () => {
    const pane = await reporter();
    await mcp.ok("send_keys", { pane, text: "\x1b\r" });
    expect(await readsUntil(pane, "0d")).toEqual(["1b 0d"]);
    await end(pane);
  });

  it("text ending in Escape, then submit: the Enter is read on its own", async () => {
    const pane = await reporter();
    await mcp.ok("send_keys", { pane, text: "ab", keys: ["C-["], submit: true });
    const got = await readsUntil(pane, "0d");
    expect(got.at(-1)).toBe("0d");
    expect(got.join(" ")).toBe("61 62 1b 0d");
    await end(pane);
  });

  it("C-], M-x, C-Left, S-Up, M-F5, M-Enter, C-@ are the bytes xterm sends", async () => {
    const pane = await reporter();
    // C-g (07) ends the run: no other key's bytes end in 07, whereas M-Enter's end in Enter's 0d, so a wait for
    // 0d could stop at M-Enter while the rest were still on their way.
    const keys = ["C-]", "M-x", "C-Left", "S-Up", "M-F5", "M-Enter", "C-@", "C-_", "S-F1", "C-M-x", "C-g"];
    await mcp.ok("send_keys", { pane, keys });
    const expected = [
      "1d",
      "1b 78",
      "1b 5b 31 3b 35 44",
      "1b 5b 31 3b 32 41",
      "1b 5b 31 35 3b 33 7e",
      "1b 0d",
      "00",
      "1f",
      "1b 5b 31 3b 32 50",
      "1b 18",
      "07",
    ].join(" ");
    // Keys that no following key can extend may be read together; the bytes and their order must be exact.
    expect((await readsUntil(pane, "07")).join(" ")).toBe(expected);
    await end(pane);
  });

  it("arrows follow the program's cursor-key mode: SS3 in application mode, CSI 1;m when modified", async () => {
    const pane = await reporter("app");
    await mcp.ok("send_keys", { pane, keys: ["Up"] });
    expect(await readsUntil(pane, "1b 4f 41")).toEqual(["1b 4f 41"]);
    await mcp.ok("send_keys", { pane, keys: ["C-Up"] });
    expect(await readsUntil(pane, "1b 5b 31 3b 35 41")).toEqual(["1b 4f 41", "1b 5b 31 3b 35 41"]);
    await mcp.ok("send_keys", { pane, keys: ["Home"] });
    expect((await readsUntil(pane, "1b 4f 48")).at(-1)).toBe("1b 4f 48");
    await end(pane);
  });

  it("a pane with input: keys can send C-] and C-Left, but not M-x (a character after ESC)", async () => {
    const pane = await reporter("keys");
    await mcp.refused("send_keys", { pane, keys: ["M-x"] }, "INPUT_NOT_ALLOWED");
    await mcp.refused("send_keys", { pane, keys: ["C-]", "M-:"] }, "INPUT_NOT_ALLOWED");
    await mcp.ok("send_keys", { pane, keys: ["C-]", "Escape", "C-Left"] });
    // Nothing of the refused calls arrived: the first byte is the C-] of the allowed call; C-Left follows the
    // Escape in a read of its own.
    const got = await readsUntil(pane, "1b 5b 31 3b 35 44");
    expect(got.join(" ")).toBe("1d 1b 1b 5b 31 3b 35 44");
    expect(got.at(-1)).toBe("1b 5b 31 3b 35 44");
    await end(pane);
  });

  it("an unknown key is refused with UNKNOWN_KEY and the grammar, logged, and nothing is sent", async () => {
    const pane = await reporter();
    const message = await mcp.refused("send_keys", { pane, keys: ["Escape", "C-Enter"] }, "UNKNOWN_KEY");
    expect(message).toContain("C-Enter");
    expect(message).toContain("M-F5");
    await mcp.refused("send_keys", { pane, keys: ["Ctrl-]"] }, "UNKNOWN_KEY");
    await mcp.ok("send_keys", { pane, keys: ["C-c"] });
    expect(await readsUntil(pane, "03")).toEqual(["03"]);
    const refusals = readAudit(ws.auditPath).filter(
      (r) => r.tool === "send_keys" && JSON.stringify(r).includes("UNKNOWN_KEY"),
    );
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    await end(pane);
  });
});
