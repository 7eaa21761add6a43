import type { EchoDraw } from "../../panes/frame-echo.js";
import { applyFrameRows, type FrameRows, type PaneFrame } from "../../panes/screen-frame.js";
import {
  type AttachAccepted,
  type FromViewer,
  MAX_KEYS_PER_MESSAGE,
  type ToViewer,
  type ViewerStatus,
} from "./attach-protocol.js";
import { type AttachCommand, EscapeKeyReader } from "./escape-key.js";
import { FramePainter } from "./frame-painter.js";
import { statusLine } from "./status-line.js";

/** A person's terminal as a view draws on it: what it is sent, and its size now. */
export interface ViewTerminal {
  write(text: string): void;
  size(): { cols: number; rows: number };
}

/** How the view ends: 0 with an empty message for a signal or a hang-up, else what to print. */
export interface ViewEnd {
  code: number;
  message: string;
}

/** What a view was asked for: `attach --write`, and the escape key (its byte and how the person wrote it). */
export interface ViewOptions {
  write: boolean;
  escapeByte: number;
  escapeName: string;
}

/**
 * One pane drawn on a person's terminal with a status line (seed §4.2): frames and status from the daemon
 * (`onMessage`, ToViewer), the person's typing and attach commands back (`send`, FromViewer). Used by the attach
 * client, which paints itself, and by the daemon, which paints into the client's terminal (daemon-terminal.ts).
 * The terminal only ever gets what FramePainter builds: the pane's bytes never reach it.
 */
export class TerminalView {
  private readonly painter = new FramePainter();
  private readonly keys: EscapeKeyReader;
  private frame: PaneFrame | undefined;
  private status: ViewerStatus;
  private note: string | undefined;
  private noteTimer: NodeJS.Timeout | undefined;
  /** The status line last built, and what it was built from (it changes far less often than the frame). */
  private statusText:
    | { status: ViewerStatus; clipped: boolean; note: string | undefined; text: string }
    | undefined;

  constructor(
    private readonly terminal: ViewTerminal,
    private readonly accepted: AttachAccepted,
    private readonly options: ViewOptions,
    private readonly send: (message: FromViewer) => void,
    private readonly finish: (end: ViewEnd) => void,
  ) {
    this.keys = new EscapeKeyReader(options.escapeByte);
    this.status = accepted.status;
    if (options.write && !accepted.status.write) this.flash("write is held by another viewer");
  }

  /**
   * A message from the daemon. `{rows}` must fit the frame (applyFrameRows); rows that do not end the view.
   * `{end}` paints the last frame and ends it with the reason.
   */
  onMessage(message: ToViewer): void {
    if ("frame" in message) this.frame = message.frame;
    else if ("rows" in message) {
      const next = this.frame ? applyFrameRows(this.frame, message.rows as FrameRows) : undefined;
      if (next === undefined) {
        this.finish({ code: 1, message: "ccmux attach: the daemon sent rows that do not fit the frame." });
        return;
      }
      this.frame = next;
    } else if ("status" in message) this.status = message.status;
    else if ("end" in message) {
      this.paint();
      this.finish({ code: 0, message: `ccmux attach: ${message.end}.` });
      return;
    }
    this.paint();
  }

  /**
   * An echo drawn ahead of the parse (FrameListener): `rows` as onMessage takes them, and what the echo drew. The
   * echo's text goes to the terminal alone when the painter can draw it so (FramePainter.echo): the echo's rows
   * are its own row only (echoRows), so nothing else needs painting until the next update. Otherwise the frame
   * is painted.
   */
  echo(rows: FrameRows, draw: EchoDraw): void {
    const next = this.frame ? applyFrameRows(this.frame, rows) : undefined;
    if (next === undefined) {
      this.onMessage({ rows }); // rows that do not fit end the view there
      return;
    }
    const text = this.painter.echo(next, this.terminal.size(), draw);
    this.frame = next;
    if (text !== undefined) this.terminal.write(text);
    // After an echo drawn alone a paint draws nothing, yet it was half of the daemon's work per keystroke (issue 13).
    if (text === undefined || rows.changed.some(([row]) => row !== draw.at.row)) this.paint();
  }

  /** What the person typed (decoded text): to the pane while they hold write, attach commands after the escape key. */
  onInput(chunk: string): void {
    const { text, commands } = this.keys.read(chunk);
    if (text !== "") {
      if (this.status.write) {
        for (let at = 0; at < text.length; at += MAX_KEYS_PER_MESSAGE)
          this.send({ keys: text.slice(at, at + MAX_KEYS_PER_MESSAGE) });
      } else this.flash(this.options.write ? `read-only: ${this.options.escapeName} w to type` : "read-only");
    }
    for (const command of commands) {
      if (command === "detach") {
        this.finish({ code: 0, message: "ccmux attach: detached." });
        return;
      }
      if (command === "redraw") this.redraw();
      else if (command.startsWith("pan-") || command === "follow-cursor") {
        this.pan(command);
      } else if (command === "toggle-write") {
        if (this.options.write) this.send({ write: !this.status.write });
        else this.flash("attach with --write to type");
      } else
        this.flash(
          `${this.options.escapeName} then d detaches, w takes or releases write, h j k l pan, c follows the cursor, r redraws`,
        );
    }
  }

  /** Draws everything again (after the terminal's size changed, or asked with the escape key then `r`). */
  redraw(): void {
    this.painter.invalidate();
    this.paint();
  }

  /** Stops the note's timer: nothing is drawn after this. */
  dispose(): void {
    clearTimeout(this.noteTimer);
    this.noteTimer = undefined;
    this.frame = undefined;
  }

  /** Pans by half the terminal (h j k l), or follows the cursor again (c). */
  private pan(command: AttachCommand | "unknown"): void {
    const size = this.terminal.size();
    const rows = Math.max(1, Math.floor((size.rows - 1) / 2));
    const cols = Math.max(1, Math.floor(size.cols / 2));
    if (command === "follow-cursor") this.painter.followCursor();
    else if (command === "pan-left") this.painter.panBy(0, -cols);
    else if (command === "pan-right") this.painter.panBy(0, cols);
    else if (command === "pan-up") this.painter.panBy(-rows, 0);
    else this.painter.panBy(rows, 0);
    this.paint();
  }

  private flash(note: string): void {
    this.note = note;
    clearTimeout(this.noteTimer);
    this.noteTimer = setTimeout(() => {
      this.note = undefined;
      this.paint();
    }, 3000);
    this.paint();
  }

  private paint(): void {
    if (!this.frame) return;
    const view = this.terminal.size();
    // The painter adds the clipping notice itself; the pan keys are named while part of the pane is not shown.
    const clipped =
      this.painter.viewport?.clippedRows === true || this.painter.viewport?.clippedCols === true;
    const note =
      this.note ??
      (this.painter.panned ? `panned: ${this.options.escapeName} c follows the cursor` : undefined);
    const kept = this.statusText;
    let status = kept?.text ?? "";
    if (kept === undefined || kept.status !== this.status || kept.clipped !== clipped || kept.note !== note) {
      status = statusLine({
        pane: this.accepted.pane,
        status: this.status,
        escapeKey: this.options.escapeName,
        mayWrite: this.options.write,
        clipped,
        ...(note ? { note } : {}),
      });
      this.statusText = { status: this.status, clipped, note, text: status };
    }
    this.terminal.write(this.painter.paint(this.frame, view, status));
  }
}
