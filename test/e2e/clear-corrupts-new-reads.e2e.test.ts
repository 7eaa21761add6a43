import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  giveToPanes,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

// Issue 10, item 5: a screen clear (ESC[H ESC[2J: `clear`, Ctrl-L, test watchers) erased lines before history
// saw them. On a 40x6 pane, `new` reads then returned only AFTER-3 (or AFTER-2 AFTER-3), repeated AFTER-3,
// never returned AFTER-1, and scrollback began with false "rows were lost" notes.
const SCRIPT = [
  "stty -echo",
  "printf 'BEFORE-1\\nBEFORE-2\\nBEFORE-3\\n'",
  "read -r _",
  // the clear, then lines; a sibling: a blank line and a cursor left lower down before the second clear
  "printf '\\033[H\\033[2JAFTER-1\\nAFTER-2\\nAFTER-3\\n'",
  "read -r _",
  "for i in 1 2 3 4 5 6 7 8; do printf 'MORE-%s\\n' \"$i\"; done",
  "read -r _",
  "printf '\\n\\033[3B\\033[H\\033[2J\\033[3JCLEARED-1\\nCLEARED-2\\n'",
  "read -r _",
].join("\n");

type Read = { text: string; lost: boolean; truncated: boolean };

describe.each(["off", "required"] as const)("a screen clear corrupts new reads (sandbox %s)", (mode) => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["{path}"], input: "raw" }],
      sandbox: { mode },
    });
    writeFileSync(join(ws.root, "clears.sh"), SCRIPT);
    giveToPanes(ws.root);
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("three lines, ESC[H ESC[2J, AFTER-1..3, eight more: each line once, in order, nothing lost", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", {
      command: "bash clears.sh",
      cols: 40,
      rows: 6,
    });
    const step = async (last: string): Promise<Read> => {
      const waited = await mcp.ok<{ matched: boolean }>("wait_for", { pane, text: last, timeout_ms: 15_000 });
      expect(waited.matched, last).toBe(true);
      return mcp.ok<Read>("read_pane", { pane, mode: "new" });
    };
    const reads = [await step("BEFORE-3")];
    await mcp.ok("send_keys", { pane, text: "\n" });
    reads.push(await step("AFTER-3"));
    await mcp.ok("send_keys", { pane, text: "\n" });
    reads.push(await step("MORE-8"));
    await mcp.ok("send_keys", { pane, text: "\n" });
    reads.push(await step("CLEARED-2"));

    expect(reads.map((read) => read.text)).toEqual([
      "BEFORE-1\nBEFORE-2\nBEFORE-3",
      "AFTER-1\nAFTER-2\nAFTER-3",
      Array.from({ length: 8 }, (_, i) => `MORE-${i + 1}`).join("\n"),
      // blank rows at the foot of the screen are not lines until text follows them: the clear drops them
      "CLEARED-1\nCLEARED-2",
    ]);
    expect(reads.map((read) => read.lost)).toEqual([false, false, false, false]);
    const { text } = await mcp.ok<Read>("read_pane", { pane, mode: "scrollback" });
    expect(text).not.toContain("lost");
    expect(text.split("\n").slice(0, 4)).toEqual(["BEFORE-1", "BEFORE-2", "BEFORE-3", "AFTER-1"]);
    expect(text).toContain("MORE-8\nCLEARED-1");
    const screen = await mcp.ok<Read>("read_pane", { pane });
    expect(screen.text).toBe("CLEARED-1\nCLEARED-2");
    await mcp.ok("kill_pane", { pane });
  });
});
