import { FORBIDDEN_IN_OUTPUT } from "./forbidden-output.js";

/**
 * The test oracle for what `ccmux attach` may write to a person's terminal (seed §4.2): a strict tokenizer of
 * the allowed sequences. Returns the first offending piece of `output` with its offset, or null when all of
 * it is printable text, CUP `CSI r;c H` inside the view, SGR from the fixed set, EL `CSI K`, ED `CSI 2J` or
 * DECTCEM `CSI ?25h`/`CSI ?25l`.
 */
export function grammarViolation(output: string, view: { cols: number; rows: number }): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts every sequence it accepts.
  const sequence = /\x1b\[(?:(\d+);(\d+)H|([0-9;]*)m|K|2J|\?25[hl])/y;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
  const control = /[\x00-\x1f\x7f-\x9f]/;
  let at = 0;
  while (at < output.length) {
    if (output[at] === "\x1b") {
      sequence.lastIndex = at;
      const match = sequence.exec(output);
      if (match === null) return `unknown sequence at ${at}: ${JSON.stringify(output.slice(at, at + 16))}`;
      const [whole, row, col, sgr] = match;
      if (row !== undefined && col !== undefined) {
        const r = Number(row);
        const c = Number(col);
        if (r < 1 || r > view.rows || c < 1 || c > view.cols)
          return `CUP outside the view at ${at}: ${whole}`;
      }
      if (sgr !== undefined) {
        const bad = sgrViolation(sgr);
        if (bad !== null) return `SGR ${JSON.stringify(sgr)} at ${at}: ${bad}`;
      }
      at += whole.length;
      continue;
    }
    const next = output.indexOf("\x1b", at);
    const text = output.slice(at, next === -1 ? output.length : next);
    if (control.test(text)) return `control character in text at ${at}: ${JSON.stringify(text)}`;
    if (FORBIDDEN_IN_OUTPUT.test(text))
      return `unsanitized character in text at ${at}: ${JSON.stringify(text)}`;
    at += text.length;
  }
  return null;
}

const SINGLE = new Set([0, 1, 2, 3, 4, 5, 7, 9, 53, 39, 49]);

function byte(value: string | undefined): boolean {
  return value !== undefined && /^\d{1,3}$/.test(value) && Number(value) <= 255;
}

/** Why the SGR parameter list `params` is outside the fixed set (never 8, conceal), or null. */
function sgrViolation(params: string): string | null {
  const list = params.split(";");
  for (let i = 0; i < list.length; i++) {
    const param = list[i] as string;
    if (!/^\d+$/.test(param)) return `empty or malformed parameter ${JSON.stringify(param)}`;
    const n = Number(param);
    if (SINGLE.has(n) || (n >= 30 && n <= 37) || (n >= 90 && n <= 97)) continue;
    if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) continue;
    if (n === 38 || n === 48) {
      if (list[i + 1] === "5" && byte(list[i + 2])) {
        i += 2;
        continue;
      }
      if (list[i + 1] === "2" && byte(list[i + 2]) && byte(list[i + 3]) && byte(list[i + 4])) {
        i += 4;
        continue;
      }
      return `malformed extended colour after ${n}`;
    }
    return `parameter ${n} is not allowed`;
  }
  return null;
}
