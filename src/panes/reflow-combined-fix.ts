import type { Terminal } from "@xterm/headless";
import { bufferLinePrototype } from "./xterm-internals.js";

interface BufferLineLike {
  _combined: Record<number, string>;
  copyCellsFrom(
    src: BufferLineLike,
    srcCol: number,
    destCol: number,
    length: number,
    applyInReverse: boolean,
  ): void;
}

const fixed = new WeakSet<object>();

/**
 * Makes xterm's reflow carry each cell's combining marks with the cell, for every terminal on this thread (on
 * the prototype of xterm's internal BufferLine, reached through `term`). Idempotent.
 *
 * Why: BufferLine.copyCellsFrom of @xterm/headless 6 (src/common/buffer/BufferLine.ts), which the reflow uses
 * to move cells between a line's rows, moves every combined cell from `srcCol` to the row's end, not only the
 * `length` it copies, in key order and in place when source and destination are one row: a later cell's
 * string overwrote an earlier one's. Narrowing a row holding "é" and, further on, "ó" (both decomposed) read
 * back "é" twice (attack review: text that reads differently from what was printed). The cells' words are
 * copied as before; the combined strings are moved afterwards, those of the copied cells only, read before
 * anything was written.
 */
export function fixReflowCombinedCells(term: Terminal): void {
  const proto = bufferLinePrototype<BufferLineLike>(term);
  if (!proto || fixed.has(proto) || typeof proto.copyCellsFrom !== "function") return;
  fixed.add(proto);
  const original = proto.copyCellsFrom;
  proto.copyCellsFrom = function copyCellsFrom(
    this: BufferLineLike,
    src: BufferLineLike,
    srcCol: number,
    destCol: number,
    length: number,
    applyInReverse: boolean,
  ): void {
    // A row without the map this was written against: xterm's own copy, as it is.
    if (typeof src._combined !== "object" || typeof this._combined !== "object") {
      original.call(this, src, srcCol, destCol, length, applyInReverse);
      return;
    }
    const moved: [number, string][] = [];
    for (const key of Object.keys(src._combined)) {
      const col = Number(key);
      if (col >= srcCol && col < srcCol + length) moved.push([col, src._combined[col] as string]);
    }
    const kept = { ...this._combined };
    original.call(this, src, srcCol, destCol, length, applyInReverse);
    this._combined = kept;
    for (const [col, text] of moved) this._combined[col - srcCol + destCol] = text;
  };
}
