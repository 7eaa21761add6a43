import xtermHeadless from "@xterm/headless";
import { ENTER_ATTACH } from "../../src/cli/attach/terminal-sequences.js";
import { useProgramWidths } from "../../src/panes/unicode-widths.js";

const { Terminal } = xtermHeadless;
export type HeadlessTerminal = InstanceType<typeof Terminal>;

/**
 * A real emulator standing in for the person's terminal under `ccmux attach`, counting columns as the panes
 * do. `write` resolves once the emulator has parsed the data; `screen` reads the visible rows back.
 */
export class OuterTerminal {
  readonly term: HeadlessTerminal;
  /** DECTCEM as the last `CSI ?25h` / `CSI ?25l` left it (the public API does not expose it). */
  cursorShown = true;

  /**
   * `programWidths: false` keeps xterm.js's own Unicode 6 widths: a terminal that disagrees with the panes.
   */
  constructor(
    readonly cols: number,
    readonly rows: number,
    programWidths = true,
  ) {
    this.term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
    if (programWidths) useProgramWidths(this.term);
    const track = (final: string, shown: boolean) =>
      this.term.parser.registerCsiHandler({ prefix: "?", final }, (params) => {
        if (params.includes(25)) this.cursorShown = shown;
        return false;
      });
    track("h", true);
    track("l", false);
  }

  write(data: string): Promise<void> {
    return new Promise((resolve) => this.term.write(data, resolve));
  }

  /** The visible rows' text, trailing blanks cut unless `untrimmed`. */
  screen(untrimmed = false): string[] {
    const buffer = this.term.buffer.active;
    const out: string[] = [];
    for (let row = 0; row < this.rows; row++) {
      const text = buffer.getLine(buffer.viewportY + row)?.translateToString() ?? "";
      out.push(untrimmed ? text : text.replace(/ +$/, ""));
    }
    return out;
  }

  /** The cell at a 0-based position: its characters, width and whether it is dim or inverse. */
  cell(row: number, col: number): { chars: string; width: number; dim: boolean; inverse: boolean } {
    const buffer = this.term.buffer.active;
    const cell = buffer.getLine(buffer.viewportY + row)?.getCell(col);
    if (cell === undefined) throw new Error(`no cell at ${row},${col}`);
    return {
      chars: cell.getChars(),
      width: cell.getWidth(),
      dim: cell.isDim() !== 0,
      inverse: cell.isInverse() !== 0,
    };
  }

  /** Each visible cell's colours and attributes, one string per row (for comparing two terminals' styles). */
  styles(): string[] {
    const buffer = this.term.buffer.active;
    const out: string[] = [];
    for (let row = 0; row < this.rows; row++) {
      const line = buffer.getLine(buffer.viewportY + row);
      const cells: string[] = [];
      for (let col = 0; col < this.cols; col++) {
        const cell = line?.getCell(col);
        if (cell === undefined) break;
        const fg = `${cell.getFgColorMode()}:${cell.getFgColor()}`;
        const bg = `${cell.getBgColorMode()}:${cell.getBgColor()}`;
        const attrs = [cell.isBold(), cell.isDim(), cell.isItalic(), cell.isUnderline(), cell.isInverse()];
        cells.push(`${fg}/${bg}/${attrs.map((set) => (set ? 1 : 0)).join("")}`);
      }
      out.push(cells.join(" "));
    }
    return out;
  }

  cursor(): { row: number; col: number } {
    const buffer = this.term.buffer.active;
    return { row: buffer.cursorY, col: buffer.cursorX };
  }

  dispose(): void {
    this.term.dispose();
  }
}

/** The person's terminals opened by personTerminal and not yet disposed (disposePersonTerminals). */
const personTerminals: OuterTerminal[] = [];

/** A person's terminal of `cols` x `rows`, taken over for attach as the client does (ENTER_ATTACH). */
export async function personTerminal(
  cols: number,
  rows: number,
  programWidths = true,
): Promise<OuterTerminal> {
  const term = new OuterTerminal(cols, rows, programWidths);
  personTerminals.push(term);
  await term.write(ENTER_ATTACH);
  return term;
}

/** Disposes every terminal personTerminal opened (a test's afterEach, or between a property's runs). */
export function disposePersonTerminals(): void {
  for (const term of personTerminals.splice(0)) term.dispose();
}
