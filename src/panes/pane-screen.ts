import type { IDisposable, IMarker, Terminal as TerminalType } from "@xterm/headless";
import xtermHeadless from "@xterm/headless";

const { Terminal } = xtermHeadless;

/** The terminal type the emulator implements; children get it as TERM. */
export const EMULATED_TERM = "xterm-256color";

/** A position in the pane's history that moves as lines scroll and is lost when they are trimmed. */
export interface HistoryMark {
  readonly marker: IMarker;
}

/**
 * The rendered state of one pane: an @xterm/headless terminal fed with the pane's raw output. Reads return
 * plain rows (unsanitized: the caller sanitizes); writes are asynchronous and acknowledged by callback.
 */
export class PaneScreen {
  private readonly term: TerminalType;
  private readonly disposables: IDisposable[] = [];

  constructor(options: { cols: number; rows: number; scrollback: number }) {
    this.term = new Terminal({
      cols: options.cols,
      rows: options.rows,
      scrollback: options.scrollback,
      allowProposedApi: true,
      logLevel: "off",
    });
    // Security: clipboard writes (OSC 52) are swallowed here so no future emulator change can surface them.
    this.disposables.push(this.term.parser.registerOscHandler(52, () => true));
  }

  /** Replies the emulator generates (device reports); the caller decides which may reach the pty. */
  onReply(listener: (data: string) => void): void {
    this.disposables.push(this.term.onData(listener));
  }

  write(chunk: Uint8Array | string, done: () => void): void {
    this.term.write(chunk, done);
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
  }

  get cols(): number {
    return this.term.cols;
  }

  get rows(): number {
    return this.term.rows;
  }

  get applicationCursor(): boolean {
    return this.term.modes.applicationCursorKeysMode;
  }

  get isAlternateScreen(): boolean {
    return this.term.buffer.active.type === "alternate";
  }

  /** Cursor position on the visible screen, 0-based. */
  get cursor(): { row: number; col: number } {
    const buffer = this.term.buffer.active;
    return { row: buffer.cursorY, col: buffer.cursorX };
  }

  /** The visible screen, one row per line, trailing blank rows dropped. */
  renderScreen(): string {
    const buffer = this.term.buffer.active;
    return dropTrailingBlank(this.renderRows(buffer.baseY, buffer.baseY + this.term.rows, false));
  }

  /** History and screen as logical lines (wrapped rows joined); the last `lines` of them when given. */
  renderScrollback(lines?: number): string {
    const buffer = this.term.buffer.active;
    const text = dropTrailingBlank(this.renderRows(0, buffer.length, true));
    if (lines === undefined) return text;
    const all = text.split("\n");
    return all.slice(Math.max(0, all.length - lines)).join("\n");
  }

  /** Marks the cursor's current line (offset rows up or down) so later reads can start there. */
  mark(offset = 0): HistoryMark | undefined {
    if (this.isAlternateScreen) return undefined;
    const marker = this.term.registerMarker(offset);
    return marker ? { marker } : undefined;
  }

  /** Marks the top row of the visible screen (everything above it is history that will not change), or rows above it. */
  markScreenTop(overlapRows = 0): HistoryMark | undefined {
    const buffer = this.term.buffer.active;
    return this.mark(-Math.min(buffer.cursorY + overlapRows, buffer.baseY + buffer.cursorY));
  }

  /**
   * Logical lines from a mark to the end. `lost` is true when the mark's line was trimmed from history
   * (more output than the scrollback holds arrived since), in which case everything still held is returned.
   */
  renderFrom(mark: HistoryMark | undefined): { text: string; lost: boolean } {
    const buffer = this.term.buffer.active;
    if (mark === undefined || this.isAlternateScreen) return { text: this.renderScreen(), lost: false };
    const lost = mark.marker.isDisposed || mark.marker.line < 0;
    const start = lost ? 0 : mark.marker.line;
    return { text: dropTrailingBlank(this.renderRows(start, buffer.length, true)), lost };
  }

  release(mark: HistoryMark | undefined): void {
    mark?.marker.dispose();
  }

  dispose(): void {
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.term.dispose();
  }

  private renderRows(start: number, end: number, joinWrapped: boolean): string {
    const buffer = this.term.buffer.active;
    const out: string[] = [];
    let current = "";
    let line = buffer.getLine(Math.max(0, start));
    for (let y = Math.max(0, start); y < end && line; y++) {
      const next = buffer.getLine(y + 1);
      const continues = joinWrapped && next?.isWrapped === true;
      current += line.translateToString(!continues);
      if (!continues) {
        out.push(current);
        current = "";
      }
      line = next;
    }
    if (current !== "") out.push(current);
    return out.join("\n");
  }
}

function dropTrailingBlank(text: string): string {
  return text.replace(/\s+$/u, "");
}
