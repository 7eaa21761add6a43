/**
 * The control sequences in a terminal output stream (bytes, as TmuxTerminal.output() records them), in order, each
 * as a latin1 string (one character per byte): CSI (`ESC [` … final byte), OSC (`ESC ]` … BEL or ST), the string
 * sequences DCS, APC, PM and SOS (`ESC P` / `_` / `^` / `X` … ST), other ESC sequences (`ESC ( 0`, `ESC =`,
 * `ESC 7`…), C0 controls other than CR, LF, TAB and BS, and C1 controls sent as UTF-8 (U+0080–U+009F). A sequence cut
 * off by the end of the stream is returned as it is. Printable text is left out.
 *
 * An attach test states which of these a person's terminal may receive and asserts that nothing else arrives.
 */
export function escapeSequences(stream: Buffer): string[] {
  const text = stream.toString("latin1");
  const found: string[] = [];
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 0x1b) {
      const end = sequenceEnd(text, i);
      found.push(text.slice(i, end));
      i = end;
    } else if (code === 0xc2 && text.charCodeAt(i + 1) >= 0x80 && text.charCodeAt(i + 1) <= 0x9f) {
      found.push(text.slice(i, i + 2)); // U+0080–U+009F in UTF-8
      i += 2;
    } else {
      if ((code < 0x20 && ![0x08, 0x09, 0x0a, 0x0d].includes(code)) || code === 0x7f)
        found.push(text[i] as string);
      i += 1;
    }
  }
  return found;
}

/** Where the sequence starting with the ESC at `start` ends (exclusive). */
function sequenceEnd(text: string, start: number): number {
  const kind = text[start + 1];
  if (kind === undefined) return start + 1;
  if (kind === "[") {
    // parameters and intermediates, then one final byte 0x40–0x7e
    let i = start + 2;
    while (i < text.length && (text.charCodeAt(i) < 0x40 || text.charCodeAt(i) > 0x7e)) i++;
    return Math.min(i + 1, text.length);
  }
  if (kind === "]" || kind === "P" || kind === "_" || kind === "^" || kind === "X" || kind === "k") {
    // string sequences: to ST (ESC \); OSC also ends at BEL (`ESC k`: screen's window-name string)
    for (let i = start + 2; i < text.length; i++) {
      if (kind === "]" && text[i] === "\x07") return i + 1;
      if (text[i] === "\x1b" && text[i + 1] === "\\") return i + 2;
    }
    return text.length;
  }
  // intermediates 0x20–0x2f (`ESC ( 0`), then one final byte
  let i = start + 1;
  while (i < text.length && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i++;
  return Math.min(i + 1, text.length);
}
