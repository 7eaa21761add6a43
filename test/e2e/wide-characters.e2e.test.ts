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

// Issue 10, item 6: the emulator counted Unicode 6 widths (😀 one column) while programs count wcwidth's (two),
// so `printf '😀\e[3GZ|'` read back as `😀 Z|` and readline's cursor sat one column off what ccmux showed.

const EMOJI_THEN_COLUMN_3 = "printf '\\360\\237\\230\\200\\033[3GZ|\\n'\n";
// 19 narrow columns, then a wide character that does not fit in the last column: it wraps whole.
const WIDE_AT_RIGHT_EDGE = `printf '%s\\n' '1234567890123456789中x'\n`;
const WIDE_RUN = "中文字符".repeat(10); // 40 wide characters: 80 columns, four rows of a 20-column pane
const CLUSTERS = ["e\u0301te\u0301", "👍🏽ok", "👨‍👩‍👧fam", "🇫🇷flag", "한국어", "ｆｕｌｌ"];

async function screenOf(mcp: Served, pane: string): Promise<string> {
  const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "screen" });
  return text;
}

describe.each(["off", "required"] as const)("wide characters read back as printed (sandbox %s)", (mode) => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [
        { command: "sh", args: ["{path}"] },
        { command: "bash", args: ["--norc --noprofile"], input: "raw" },
      ],
      sandbox: { mode },
    });
    const scripts: Record<string, string> = {
      "emoji.sh": EMOJI_THEN_COLUMN_3,
      "edge.sh": WIDE_AT_RIGHT_EDGE,
      "run.sh": `printf '%s\\n' '${WIDE_RUN}'\nprintf 'END\\n'\n`,
      "clusters.sh": `${CLUSTERS.map((c) => `printf '%s|\\n' '${c}'`).join("\n")}\n`,
      "history.sh": `printf '%s\\n' '1234567890123456789中x' '${WIDE_RUN}'\nseq 1 40\n`,
    };
    for (const [name, text] of Object.entries(scripts)) writeFileSync(join(ws.root, name), text);
    giveToPanes(...Object.keys(scripts).map((name) => join(ws.root, name)));
    mcp = await serveWorkspace(ws, { LANG: "C.UTF-8" });
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  async function run(script: string): Promise<string> {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: `sh ${script}`, cols: 20, rows: 10 });
    await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 15_000 });
    return pane;
  }

  it("an emoji takes two columns, so a cursor move to column 3 lands right after it", async () => {
    const pane = await run("emoji.sh");
    expect((await screenOf(mcp, pane)).split("\n")[0]).toBe("😀Z|");
  });

  it("a wide character that does not fit at the right edge wraps whole, and the line reads back unchanged", async () => {
    const pane = await run("edge.sh");
    const rows = (await screenOf(mcp, pane)).split("\n");
    expect(rows.slice(0, 2)).toEqual(["1234567890123456789", "中x"]);
    const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    expect(text.split("\n")[0]).toBe("1234567890123456789中x");
  });

  it("a run of wide characters wrapping over four rows reads back with no character gained or lost", async () => {
    const pane = await run("run.sh");
    const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    expect(text.split("\n").slice(0, 2)).toEqual([WIDE_RUN, "END"]);
  });

  it("combining marks, emoji modifiers, ZWJ sequences, flags, Hangul and fullwidth text read back as printed", async () => {
    const pane = await run("clusters.sh");
    const rows = (await screenOf(mcp, pane)).split("\n");
    expect(rows.slice(0, CLUSTERS.length)).toEqual(CLUSTERS.map((c) => `${c}|`));
  });

  it("wide characters keep their text once they scroll into history", async () => {
    const pane = await run("history.sh");
    const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    const lines = text.split("\n");
    expect(lines.slice(0, 3)).toEqual(["1234567890123456789中x", WIDE_RUN, "1"]);
    expect(lines).toContain("40");
  });

  it("bash's line editor and the screen agree on where the cursor is after emoji", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", {
      command: "bash --norc --noprofile",
      cols: 60,
      rows: 10,
    });
    await mcp.ok("send_keys", { pane, text: "PS1='%>'", submit: true });
    await mcp.ok("wait_for", { pane, regex: "^%>$", timeout_ms: 10_000 });
    // Back over both emoji (readline moves the cursor by their width), insert X, then run it: bash's buffer
    // and the shown line must match.
    await mcp.ok("send_keys", { pane, text: "echo 😀😀ab", keys: ["Left", "Left", "Left", "Left"] });
    await mcp.ok("send_keys", { pane, text: "X", keys: ["End"] });
    await mcp.ok("send_keys", { pane, text: "Y", submit: true });
    // The output line, not the typed one (which holds the same text): a wait for the text matched the command
    // line as bash redrew it, and under load the screen was read before echo's output (CI).
    await mcp.ok("wait_for", { pane, regex: "^X😀😀abY$", timeout_ms: 10_000 });
    const rows = (await screenOf(mcp, pane)).split("\n");
    const typed = rows.find((row) => row.startsWith("%>echo"));
    expect(typed).toBe("%>echo X😀😀abY");
    expect(rows).toContain("X😀😀abY");
    await mcp.ok("kill_pane", { pane });
  });
});
