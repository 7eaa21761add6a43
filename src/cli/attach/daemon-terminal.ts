import { closeSync, constants, fstatSync, openSync, readFileSync, writeSync } from "node:fs";
import { isatty, ReadStream, WriteStream } from "node:tty";

/** How long the daemon waits for what it wrote to the person's terminal to go out before it lets go (ms). */
const FLUSH_MS = 1000;
/** Output held for a terminal that does not read it, past which drawing stops until it drains (bytes). */
export const BACKED_UP_BYTES = 1024 * 1024;
/** Terminal devices the daemon opens by name: a pty's or a console's, nothing else under /dev. */
const TERMINAL_PATH = /^\/dev\/(?:pts\/\d{1,7}|tty\d{1,3})$/;

/** What libuv's terminal handle offers beyond node's public API (see DaemonTerminal.open). */
interface TtyHandle {
  fd?: number;
  setBlocking?: (blocking: boolean) => number;
}

/**
 * The attach client's terminal, opened by the daemon to draw the pane and read the person's keys itself, as the
 * tmux server does with its clients' terminals (issue 13): a keystroke's echo then crosses no process but the
 * pane's. The client keeps its terminal in raw mode and the alternate screen while the daemon holds it, and
 * forwards only its size changes.
 */
export class DaemonTerminal {
  private closing: Promise<void> | undefined;
  /** Output was dropped while the terminal did not read: it is drawn again whole once it drains. */
  private dropped = false;
  private onDrained: () => void = () => {};

  private constructor(
    readonly input: ReadStream,
    private readonly output: WriteStream,
    /** The output handle's own descriptor, non-blocking (open): written directly while nothing is queued. */
    private readonly outputFd: number | undefined,
  ) {
    output.on("drain", () => {
      if (!this.dropped) return;
      this.dropped = false;
      this.onDrained();
    });
  }

  /**
   * Opens terminal `path` (`/dev/pts/N`), which the attach client (process `pid`, SO_PEERCRED) said is its stdin
   * and stdout, device `rdev`; undefined when that cannot be done or proved (the client then draws itself).
   *
   * Security: the device must be the client's controlling terminal (tty_nr in /proc/PID/stat, which the kernel
   * shows for a non-dumpable process too): the peer passed the daemon's peer check (the daemon's uid, not below the
   * daemon, same pid namespace), so this opens nothing its client could not, and never another terminal of the
   * person's that a same-uid process names. O_NOCTTY, so it never becomes the daemon's controlling terminal (a
   * hang-up there must not signal the daemon).
   */
  static open(pid: number, path: string, rdev: number): DaemonTerminal | undefined {
    if (!TERMINAL_PATH.test(path) || controllingTerminal(pid) !== rdev) return undefined;
    const opened: number[] = [];
    try {
      const readFd = openSync(path, constants.O_RDONLY | constants.O_NOCTTY);
      opened.push(readFd);
      const writeFd = openSync(path, constants.O_WRONLY | constants.O_NOCTTY);
      opened.push(writeFd);
      for (const fd of opened) {
        const stat = fstatSync(fd);
        if (!isatty(fd) || !stat.isCharacterDevice() || stat.rdev !== rdev)
          throw new Error("not that terminal");
      }
      const input = new ReadStream(readFd);
      const output = new WriteStream(writeFd);
      // Security: node makes a terminal's writes blocking (tty.WriteStream): a person's terminal that stops
      // reading (a stalled ssh, a suspended terminal) then blocked the daemon's only thread, every session's
      // tools with it (attack review). libuv opened the terminal again for its own descriptor (uv_tty_init), so
      // non-blocking applies to that descriptor only, not to the client's.
      const handle = (output as unknown as { _handle?: TtyHandle })._handle;
      if (handle?.setBlocking?.(false) !== 0) {
        input.destroy();
        output.destroy();
        throw new Error("the terminal cannot be written without blocking");
      }
      // uv_tty_init leaves the descriptors opened here as copies of its own (dup2): close them, or each attach
      // kept two (attack review). Not one a handle reads or writes through (its `fd`).
      const used = [input, output].map(
        (stream) => (stream as unknown as { _handle?: TtyHandle })._handle?.fd,
      );
      for (const fd of opened.splice(0)) if (!used.includes(fd)) closeQuietly(fd);
      return new DaemonTerminal(input, output, used[1]);
    } catch {
      for (const fd of opened) closeQuietly(fd);
      return undefined;
    }
  }

  /**
   * Writes `text` unless the terminal holds BACKED_UP_BYTES unread already: then it is dropped, and `onDrained`
   * (whenDrained) runs once it drains, to draw everything again.
   */
  write(text: string): void {
    // An update that changed nothing the person sees paints nothing: no write(2) of zero bytes per keystroke.
    if (text === "" || this.output.destroyed) return;
    if (this.output.writableLength > BACKED_UP_BYTES) {
      this.dropped = true;
      return;
    }
    if (this.output.writableLength === 0 && this.outputFd !== undefined) {
      // A keystroke's echo is a few bytes: written at once, it skips the stream's machinery (about 20 us a write
      // on the attach bench's path, issue 13). The descriptor is non-blocking (open), so this never waits on a
      // terminal that stopped reading; whatever it did not take goes through the stream, in order.
      const bytes = Buffer.from(text, "utf8");
      let written = 0;
      try {
        written = writeSync(this.outputFd, bytes);
      } catch {
        // EAGAIN, or a hung-up terminal: the stream writes it, or reports the error (onError)
      }
      if (written < bytes.length) this.output.write(bytes.subarray(written));
      return;
    }
    this.output.write(text);
  }

  /** What runs when output dropped while the terminal was backed up may be drawn again. */
  whenDrained(redraw: () => void): void {
    this.onDrained = redraw;
  }

  /** The terminal does not read what it is sent: new frames wait (FramePump). */
  get backedUp(): boolean {
    return this.output.writableLength > BACKED_UP_BYTES;
  }

  /** Resolves once the terminal took what it was sent, or it is gone. */
  drained(): Promise<void> {
    return new Promise((resolve) => this.output.once("drain", resolve).once("close", resolve));
  }

  /** The terminal's size as last read (refreshSize): every paint asks, so no system call here. */
  size(): { cols: number; rows: number } {
    const [cols, rows] = this.output.getWindowSize();
    return { cols: Math.max(1, cols || 80), rows: Math.max(1, rows || 24) };
  }

  /**
   * Reads the terminal's size again (TIOCGWINSZ): the client says when it changed. node's getWindowSize() gives the
   * size it last read, which it reads again only on its own SIGWINCH (process.stdout's); _refreshSize reads it now.
   */
  refreshSize(): void {
    try {
      (this.output as unknown as { _refreshSize?: () => void })._refreshSize?.();
    } catch {
      // the terminal is gone: its error ends the view
    }
  }

  /** A write to the terminal failed (it hung up). */
  onError(listener: () => void): void {
    this.output.on("error", listener);
  }

  /**
   * Lets go of the terminal once what was written went out (at most FLUSH_MS: a terminal may stop reading).
   * Every call gets the one closing.
   */
  close(): Promise<void> {
    this.closing ??= this.flushAndClose();
    return this.closing;
  }

  private async flushAndClose(): Promise<void> {
    this.input.destroy();
    if (this.output.writableLength > 0 && !this.output.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FLUSH_MS);
        this.output.once("drain", () => {
          clearTimeout(timer);
          resolve();
        });
        this.output.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.output.destroy();
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** Process `pid`'s controlling terminal as a device number (tty_nr, proc(5)); undefined when it has none. */
function controllingTerminal(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command's closing parenthesis: state, ppid, pgrp, session, tty_nr, ...
    const tty = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[4]);
    return Number.isInteger(tty) && tty > 0 ? tty : undefined;
  } catch {
    return undefined;
  }
}
