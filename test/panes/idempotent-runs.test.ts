import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { collapseIdempotentRuns } from "../../src/panes/idempotent-runs.js";
import { PaneScreen } from "../../src/panes/pane-screen.js";

const screens: PaneScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

const bytes = (text: string) => Uint8Array.from(Buffer.from(text, "latin1"));
const text = (data: Uint8Array) => Buffer.from(data).toString("latin1");

/** Everything a reader can observe of a screen fed `data` unchanged through xterm (no collapsing). */
async function observe(data: Uint8Array): Promise<string> {
  const { Terminal } = (await import("@xterm/headless")).default;
  const term = new Terminal({ cols: 20, rows: 5, scrollback: 100, allowProposedApi: true });
  const replies: string[] = [];
  term.onData((reply) => replies.push(reply));
  await new Promise<void>((resolve) => term.write(data, resolve));
  const buffer = term.buffer.active;
  const rows: string[] = [];
  for (let y = 0; y < buffer.length; y++) rows.push(buffer.getLine(y)?.translateToString(true) ?? "");
  const state = JSON.stringify({
    rows,
    type: buffer.type,
    x: buffer.cursorX,
    y: buffer.cursorY,
    replies,
    modes: term.modes,
  });
  term.dispose();
  return state;
}

describe("a flood of RIS (ESC c) / DECALN (ESC # 8) costs one copy per run", () => {
  it("cuts each run to its last copy and leaves everything else", () => {
    expect(text(collapseIdempotentRuns(bytes("a\x1bc\x1bc\x1bcb")))).toBe("a\x1bcb");
    expect(text(collapseIdempotentRuns(bytes("\x1b#8\x1b#8\x1b#8x\x1bc\x1bc")))).toBe("\x1b#8x\x1bc");
    expect(text(collapseIdempotentRuns(bytes("\x1bc\x1b#8\x1bc")))).toBe("\x1bc\x1b#8\x1bc");
    expect(text(collapseIdempotentRuns(bytes("x\x1bcx\x1bc\x1b[6n\x1bc")))).toBe("x\x1bcx\x1bc\x1b[6n\x1bc");
    const plain = bytes("no escapes here");
    expect(collapseIdempotentRuns(plain)).toBe(plain);
    expect(collapseIdempotentRuns(bytes("\x1bc".repeat(1_000_000))).length).toBe(2);
  });

  it("the terminal ends in the same state, with the same replies, as with every copy parsed", async () => {
    const alphabet = [
      "\x1bc",
      "\x1b#8",
      "\x1b",
      "c",
      "#",
      "8",
      "x",
      "\r\n",
      "\x1b[6n",
      "\x1b[?1049h",
      "\x1b[2;4r",
      "\x1b]0;t",
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }), async (parts) => {
        const data = bytes(parts.join(""));
        expect(await observe(collapseIdempotentRuns(data))).toBe(await observe(data));
      }),
      { numRuns: 300 },
    );
  });

  it("2 MB of ESC c and 600 KB of ESC # 8 parse in well under a second", () => {
    const s = new PaneScreen({ cols: 80, rows: 24, scrollback: 1000 });
    screens.push(s);
    const began = performance.now();
    s.write(bytes(`${"\x1bc".repeat(1_000_000)}${"\x1b#8".repeat(200_000)}done`), () => {});
    expect(performance.now() - began).toBeLessThan(1000);
    expect(s.renderScreen().startsWith("doneEEEE")).toBe(true);
  });
});
