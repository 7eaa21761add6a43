import type { IDisposable, Terminal } from "@xterm/headless";
import { bufferLinePrototype } from "./xterm-internals.js";

/**
 * Bounds on the work and memory one byte of pane output can cost the emulator (@xterm/headless 6). Without
 * them a small file, printed by `cat`, holds the screen thread for seconds or exhausts its heap, and every
 * pane with it. Sources: InputHandler.print / repeatPrecedingCharacter / scrollUp / scrollDown / insertLines /
 * deleteLines and BufferLine.addCodepointToCell in xtermjs/xterm.js (src/common).
 */

/**
 * UTF-16 code units a cell keeps of its base character and combining marks. Generous for real text (Zalgo-ish
 * diacritics, emoji ZWJ and tag sequences are under 32); further marks on a full cell are dropped.
 */
export const MAX_CELL_UNITS = 32;

const IS_COMBINED_MASK = 0x200000;
const WIDTH_MASK = 0xc00000;
const WIDTH_SHIFT = 22;

interface BufferLineLike {
  _data: Uint32Array;
  _combined: Record<number, string>;
  addCodepointToCell(index: number, codePoint: number, width: number): void;
}

const capped = new WeakSet<object>();

/**
 * Caps the combining marks kept per cell, for every terminal on this thread (the cap lives on the prototype
 * of xterm's internal BufferLine, reached through `term`). Idempotent.
 */
export function capCombiningMarks(term: Terminal): void {
  const proto = bufferLinePrototype<BufferLineLike>(term);
  if (!proto || capped.has(proto) || typeof proto.addCodepointToCell !== "function") return;
  capped.add(proto);
  const original = proto.addCodepointToCell;
  // Security: combining-mark flood (`a` + 30 000 × U+0301): xterm appends every mark to the cell's string,
  // so one cell grows without bound, and REP then copies that string per repetition (heap exhaustion).
  proto.addCodepointToCell = function addCappedCodepoint(index, codePoint, width) {
    const content = this._data[index * 3] as number;
    if (content & IS_COMBINED_MASK && (this._combined[index]?.length ?? 0) >= MAX_CELL_UNITS) {
      if (width) this._data[index * 3] = (content & ~WIDTH_MASK) | (width << WIDTH_SHIFT);
      return;
    }
    original.call(this, index, codePoint, width);
  };
}

/**
 * CSI handlers that cost each sequence by what it really does: REP by the code units it writes; the line
 * scrolls (SU, SD, IL, DL), which xterm loops `n` times with no cap, clamped to the screen's height
 * (scrolling a region by more than its height leaves it exactly as blank as scrolling it by its height); the
 * tab moves (CHT, CBT), also looped `n` times, clamped to the screen's width.
 */
export function registerEmulatorGuards(term: Terminal): IDisposable[] {
  const inputHandler = (term as unknown as { _core?: { _inputHandler?: Record<string, unknown> } })._core
    ?._inputHandler;
  const guards: IDisposable[] = [
    // Security: REP (CSI n b) amplification: xterm allocates n × (the preceding cell's code units) and prints
    // them all. A repeat that would write more than one screenful of code units is dropped; anything longer
    // only scrolls the same cell past.
    term.parser.registerCsiHandler({ final: "b" }, (params) => {
      const count = typeof params[0] === "number" && params[0] > 0 ? params[0] : 1;
      return count * precedingCellUnits(term) > term.cols * term.rows;
    }),
  ];
  const height = (): number => term.rows;
  const width = (): number => term.cols;
  // Security: each of these loops `n` times with no cap, so a handful of bytes stalls the screen thread that
  // every pane shares: `ESC[2147483647S` two billion line splices, `ESC[999999999Z` a billion tab-stop
  // searches (45 s for 14 bytes). Past the screen's height (line scrolls) or width (a line has at most `cols`
  // tab stops) more moves end where that many do, so the count is clamped there.
  for (const [final, method, limit] of [
    ["S", "scrollUp", height],
    ["T", "scrollDown", height],
    ["L", "insertLines", height],
    ["M", "deleteLines", height],
    ["I", "cursorForwardTab", width],
    ["Z", "cursorBackwardTab", width],
  ] as const) {
    const handler = inputHandler?.[method];
    if (typeof handler !== "function") continue;
    guards.push(
      term.parser.registerCsiHandler({ final }, (params) => {
        const count = typeof params[0] === "number" ? params[0] : 1;
        if (count <= limit()) return false;
        handler.call(inputHandler, { params: [limit()], length: 1 });
        return true;
      }),
    );
  }
  return guards;
}

/**
 * Code units of the cell REP would repeat, over-estimated: the most of the cells one and two left of the
 * cursor, and under it (the cursor waiting to wrap at the last column is reported on the last cell).
 */
function precedingCellUnits(term: Terminal): number {
  const buffer = term.buffer.active;
  const line = buffer.getLine(buffer.baseY + buffer.cursorY);
  if (!line) return MAX_CELL_UNITS + 2;
  let units = 1;
  for (let col = Math.max(0, buffer.cursorX - 2); col <= buffer.cursorX && col < term.cols; col++) {
    units = Math.max(units, line.getCell(col)?.getChars().length ?? 1);
  }
  return units;
}
