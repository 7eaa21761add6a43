import { fstatSync, readlinkSync, realpathSync, statSync } from "node:fs";
import type { Socket } from "node:net";
import { StringDecoder } from "node:string_decoder";
import { socketDirPath } from "../../daemon/runtime-dir.js";
import type { FrameRows } from "../../panes/screen-frame.js";
import { askDaemon, reachDaemon } from "../daemon-client.js";
import { findPolicy } from "../policy-location.js";
import { type AttachAccepted, type FromViewer, RowsMessage, type ToViewer } from "./attach-protocol.js";
import { DEFAULT_ESCAPE_KEY, escapeKeyByte } from "./escape-key.js";
import { readJsonLines } from "./json-lines.js";
import { ENTER_ATTACH, LEAVE_ATTACH } from "./terminal-sequences.js";
import { TerminalView, type ViewEnd } from "./terminal-view.js";

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
  const device = terminalDevice();
  let accepted: AttachAccepted;
  prepareTerminal();
  try {
    const reply = await askDaemon(socket, {
      ccmux: 1,
      op: "attach",
      session: options.session,
      pane: options.pane,
      write: options.write,
      resize: options.resize,
      ...paneArea(),
      ...(device === undefined ? {} : { terminal: { escapeKey: escapeName, ...device } }),
    });
    if (!reply.ok) {
      restoreTerminal();
      console.error(`ccmux attach: ${reply.code}: ${reply.message}`);
      socket.destroy();
      return 1;
    }
    accepted = reply as unknown as AttachAccepted;
  } catch (error) {
    restoreTerminal();
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
  private readonly decoder = new StringDecoder("utf8");
  private finish: (result: ViewEnd) => void = () => {};
  private readonly view: TerminalView | undefined;

  /** `drawn`: the daemon draws into this terminal and reads its keys; this process only reports its size. */
  constructor(
    private readonly socket: Socket,
    accepted: AttachAccepted,
    options: AttachOptions,
    escapeByte: number,
    escapeName: string,
  ) {
    this.view = accepted.terminal
      ? undefined
      : new TerminalView(
          {
            write: (text) => process.stdout.write(text),
            size: () => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 }),
          },
          accepted,
          { write: options.write, escapeByte, escapeName },
          (message) => this.send(message),
          (end) => this.finish(end),
        );
    this.resize = options.resize;
  }

  private readonly resize: boolean;

  /** Runs until the view ends; the terminal is in raw mode on the alternate screen already (prepareTerminal). */
  async run(): Promise<number> {
    const ended = new Promise<ViewEnd>((resolve) => {
      this.finish = resolve;
    });
    const stdin = process.stdin;
    const stdout = process.stdout;
    const view = this.view;
    const onInput = (chunk: Buffer): void => view?.onInput(this.decoder.write(chunk));
    const onResize = (): void => {
      view?.redraw();
      // The daemon draws anew at the new size when it draws here; with --resize the pane follows.
      if (this.resize || view === undefined) this.send({ size: paneArea() });
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
    // Security: while the daemon reads this terminal, this process reads none of it (the keys are the daemon's).
    if (view) {
      stdin.on("data", onInput);
      stdin.resume();
    }
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
    const result = await ended;
    view?.dispose();
    stdin.off("data", onInput);
    stdout.off("resize", onResize);
    process.off("SIGHUP", onHangup);
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.off(signal, onSignal);
    this.socket.destroy();
    if (hungUp) dieOfHangup();
    restoreTerminal();
    if (result.message !== "") process.stderr.write(`${result.message}\n`);
    return result.code;
  }

  private onMessage(message: ToViewer): void {
    if ("end" in message) {
      if (this.view) this.view.onMessage(message);
      else this.finish({ code: 0, message: `ccmux attach: ${message.end}.` });
      return;
    }
    if (this.view === undefined) return; // the daemon draws: it sends nothing else
    if ("rows" in message) {
      // Security: the daemon's rows are checked before they are drawn (the painter draws only what it validates).
      const parsed = RowsMessage.safeParse(message);
      if (!parsed.success) {
        this.finish({ code: 1, message: "ccmux attach: the daemon sent rows that do not fit the frame." });
        return;
      }
      this.view.onMessage({ rows: parsed.data.rows as FrameRows });
      return;
    }
    this.view.onMessage(message);
  }

  private send(message: FromViewer): void {
    if (!this.socket.destroyed) this.socket.write(`${JSON.stringify(message)}\n`);
  }
}

/** Raw mode and the alternate screen, before the hello: a daemon that draws here may start at once. */
function prepareTerminal(): void {
  process.stdout.write(ENTER_ATTACH);
  process.stdin.setRawMode(true);
}

/** The terminal as it was before prepareTerminal. */
function restoreTerminal(): void {
  try {
    process.stdin.setRawMode(false);
  } catch {
    // the terminal is gone
  }
  process.stdin.pause();
  process.stdout.write(LEAVE_ATTACH);
}

/**
 * The terminal this process has as stdin and stdout, by name and device number, for the daemon to draw on it
 * (the hello's `terminal`; the daemon also checks it is this process's controlling terminal); undefined when
 * they are not one terminal (the client then draws itself).
 */
function terminalDevice(): { path: string; rdev: number } | undefined {
  try {
    const input = fstatSync(0);
    const output = fstatSync(1);
    const path = readlinkSync("/proc/self/fd/0");
    if (!input.isCharacterDevice() || input.rdev !== output.rdev || statSync(path).rdev !== input.rdev)
      return undefined;
    return { path, rdev: input.rdev };
  } catch {
    return undefined;
  }
}
