import { realpathSync } from "node:fs";
import type { Socket } from "node:net";
import { StringDecoder } from "node:string_decoder";
import { socketDirPath } from "../../daemon/runtime-dir.js";
import { applyFrameRows, type FrameRows, type PaneFrame } from "../../panes/screen-frame.js";
import { askDaemon, reachDaemon } from "../daemon-client.js";
import { findPolicy } from "../policy-location.js";
import {
  type AttachAccepted,
  type FromViewer,
  MAX_KEYS_PER_MESSAGE,
  RowsMessage,
  type ToViewer,
  type ViewerStatus,
} from "./attach-protocol.js";
import { type AttachCommand, DEFAULT_ESCAPE_KEY, EscapeKeyReader, escapeKeyByte } from "./escape-key.js";
import { FramePainter } from "./frame-painter.js";
import { readJsonLines } from "./json-lines.js";
import { statusLine } from "./status-line.js";
import { ENTER_ATTACH, LEAVE_ATTACH } from "./terminal-sequences.js";

/** The longest line the attach client reads from the daemon (a frame of a 400×200 pane in many styles). */
const MAX_DAEMON_LINE = 64 * 1024 * 1024;

export interface AttachOptions {
  config?: string;
  session: string;
  pane: string;
  write: boolean;
  resize: boolean;
  escapeKey?: string;
}

/**
 * `ccmux attach [--config FILE] [--session NAME] [--write] [--resize] [--escape-key KEY] PANE`: this terminal
 * shows the pane, live, from the daemon's emulator (FramePainter: the pane's bytes never reach this terminal),
 * with a status line. Read-only unless `--write`; the escape key then `d` detaches. Returns the exit code: 0 after
 * a detach, the pane's end or the daemon's stop; 1 when it could not attach; 2 for a command line that does not fit
 * (no terminal, a bad escape key, no policy).
 */
export async function attachCommand(options: AttachOptions): Promise<number> {
  const escapeName = options.escapeKey ?? DEFAULT_ESCAPE_KEY;
  const escapeByte = escapeKeyByte(escapeName);
  if (escapeByte === undefined) {
    console.error(
      `ccmux attach: --escape-key ${JSON.stringify(escapeName)}: give a control key, C-x or ^x (x one of @ A-Z [ \\ ] ^ _).`,
    );
    return 2;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    console.error("ccmux attach: stdin and stdout must be a terminal.");
    return 2;
  }
  const found = findPolicy(options.config);
  if (found.file === undefined) {
    console.error(`ccmux attach: ${found.problem}`);
    return 2;
  }
  const file = realpathSync(found.file);
  const reached = await reachDaemon(socketDirPath(), file, false);
  if (!reached.ok) {
    console.error(
      `ccmux attach: ${reached.reason} (panes outlive their clients only in the daemon: \`ccmux serve --daemon\`).`,
    );
    return 1;
  }
  const socket = reached.socket;
  let accepted: AttachAccepted;
  try {
    const reply = await askDaemon(socket, {
      ccmux: 1,
      op: "attach",
      session: options.session,
      pane: options.pane,
      write: options.write,
      resize: options.resize,
      ...paneArea(),
    });
    if (!reply.ok) {
      console.error(`ccmux attach: ${reply.code}: ${reply.message}`);
      socket.destroy();
      return 1;
    }
    accepted = reply as unknown as AttachAccepted;
  } catch (error) {
    console.error(`ccmux attach: ${(error as Error).message}`);
    socket.destroy();
    return 1;
  }
  return new AttachedTerminal(socket, accepted, options, escapeByte, escapeName).run();
}

/**
 * Ends this process as SIGHUP's default action does, at once: the terminal is gone, so nothing is written to it,
 * and node's exit must not run. Why: node restores the terminal's modes at exit and, in releases before
 * nodejs/node#58200 (Node 20 here), aborts with an assertion when that fails, as it does on a hung-up terminal
 * (nodejs/node#51519).
 */
function dieOfHangup(): void {
  process.removeAllListeners("SIGHUP"); // the last listener gone, node restores SIGHUP's default action
  process.kill(process.pid, "SIGHUP");
  process.kill(process.pid, "SIGKILL"); // only if SIGHUP was blocked
}

/** The area of this terminal the pane is drawn in: all but the status line. */
function paneArea(): { cols: number; rows: number } {
  return {
    cols: Math.max(1, process.stdout.columns || 80),
    rows: Math.max(1, (process.stdout.rows || 24) - 1),
  };
}

/** This terminal while attached: raw input to the daemon, frames to the screen, until the view ends. */
class AttachedTerminal {
  private readonly painter = new FramePainter();
  private readonly keys: EscapeKeyReader;
  private readonly decoder = new StringDecoder("utf8");
  private frame: PaneFrame | undefined;
  private status: ViewerStatus;
  private note: string | undefined;
  private noteTimer: NodeJS.Timeout | undefined;
  /** The status line last built, and what it was built from (it changes far less often than the frame). */
  private statusText:
    | { status: ViewerStatus; clipped: boolean; note: string | undefined; text: string }
    | undefined;
  private finish: (result: { code: number; message: string }) => void = () => {};

  constructor(
    private readonly socket: Socket,
    private readonly accepted: AttachAccepted,
    private readonly options: AttachOptions,
    escapeByte: number,
    private readonly escapeName: string,
  ) {
    this.keys = new EscapeKeyReader(escapeByte);
    this.status = accepted.status;
    if (options.write && !accepted.status.write) this.flash("write is held by another viewer");
  }

  async run(): Promise<number> {
    const ended = new Promise<{ code: number; message: string }>((resolve) => {
      this.finish = resolve;
    });
    const stdin = process.stdin;
    const stdout = process.stdout;
    stdout.write(ENTER_ATTACH);
    stdin.setRawMode(true);
    const onInput = (chunk: Buffer): void => this.onInput(this.decoder.write(chunk));
    const onResize = (): void => {
      this.painter.invalidate();
      this.paint();
      if (this.options.resize) this.send({ size: paneArea() });
    };
    // A closed terminal (SIGHUP, or EIO on it) or a kill ends the view; the daemon sees the socket close and
    // detaches.
    let hungUp = false;
    const onHangup = (): void => {
      hungUp = true;
      this.finish({ code: 0, message: "" });
    };
    const onSignal = (): void => this.finish({ code: 0, message: "" });
    stdin.on("error", onHangup);
    stdout.on("error", onHangup);
    stdin.on("data", onInput);
    stdin.resume();
    stdout.on("resize", onResize);
    process.on("SIGHUP", onHangup);
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, onSignal);
    this.socket.on("close", () =>
      this.finish({ code: 1, message: "ccmux attach: the daemon closed the connection." }),
    );
    readJsonLines(
      this.socket,
      MAX_DAEMON_LINE,
      (value) => this.onMessage(value as ToViewer),
      (why) => this.finish({ code: 1, message: `ccmux attach: the daemon sent ${why}.` }),
    );
    this.paint();
    const result = await ended;
    stdin.off("data", onInput);
    stdout.off("resize", onResize);
    process.off("SIGHUP", onHangup);
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.off(signal, onSignal);
    clearTimeout(this.noteTimer);
    this.socket.destroy();
    if (hungUp) dieOfHangup();
    try {
      stdin.setRawMode(false);
    } catch {
      // the terminal is gone
    }
    stdin.pause();
    stdout.write(LEAVE_ATTACH);
    if (result.message !== "") process.stderr.write(`${result.message}\n`);
    return result.code;
  }

  private onMessage(message: ToViewer): void {
    if ("frame" in message) this.frame = message.frame;
    else if ("rows" in message) {
      const parsed = RowsMessage.safeParse(message);
      const next =
        parsed.success && this.frame ? applyFrameRows(this.frame, parsed.data.rows as FrameRows) : undefined;
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

  private onInput(chunk: string): void {
    const { text, commands } = this.keys.read(chunk);
    if (text !== "") {
      if (this.status.write) {
        for (let at = 0; at < text.length; at += MAX_KEYS_PER_MESSAGE)
          this.send({ keys: text.slice(at, at + MAX_KEYS_PER_MESSAGE) });
      } else this.flash(this.options.write ? `read-only: ${this.escapeName} w to type` : "read-only");
    }
    for (const command of commands) {
      if (command === "detach") {
        this.finish({ code: 0, message: "ccmux attach: detached." });
        return;
      }
      if (command === "redraw") {
        this.painter.invalidate();
        this.paint();
      } else if (command.startsWith("pan-") || command === "follow-cursor") {
        this.pan(command);
      } else if (command === "toggle-write") {
        if (this.options.write) this.send({ write: !this.status.write });
        else this.flash("attach with --write to type");
      } else
        this.flash(
          `${this.escapeName} then d detaches, w takes or releases write, h j k l pan, c follows the cursor, r redraws`,
        );
    }
  }

  /** Pans by half the terminal (h j k l), or follows the cursor again (c). */
  private pan(command: AttachCommand | "unknown"): void {
    const rows = Math.max(1, Math.floor(((process.stdout.rows || 24) - 1) / 2));
    const cols = Math.max(1, Math.floor((process.stdout.columns || 80) / 2));
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
    const view = { cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
    // The painter adds the clipping notice itself; the pan keys are named while part of the pane is not shown.
    const clipped =
      this.painter.viewport?.clippedRows === true || this.painter.viewport?.clippedCols === true;
    const note =
      this.note ?? (this.painter.panned ? `panned: ${this.escapeName} c follows the cursor` : undefined);
    const kept = this.statusText;
    let status = kept?.text ?? "";
    if (kept === undefined || kept.status !== this.status || kept.clipped !== clipped || kept.note !== note) {
      status = statusLine({
        pane: this.accepted.pane,
        status: this.status,
        escapeKey: this.escapeName,
        mayWrite: this.options.write,
        clipped,
        ...(note ? { note } : {}),
      });
      this.statusText = { status: this.status, clipped, note, text: status };
    }
    process.stdout.write(this.painter.paint(this.frame, view, status));
  }

  private send(message: FromViewer): void {
    if (!this.socket.destroyed) this.socket.write(`${JSON.stringify(message)}\n`);
  }
}
