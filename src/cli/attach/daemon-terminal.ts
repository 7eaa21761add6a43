import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { isatty, ReadStream, WriteStream } from "node:tty";

/** How long the daemon waits for what it wrote to the person's terminal to go out before it lets go (ms). */
const FLUSH_MS = 1000;

/**
 * The attach client's terminal, opened by the daemon to draw the pane and read the person's keys itself, as the
 * tmux server does with its clients' terminals (issue 13): a keystroke's echo then crosses no process but the
 * pane's. The client keeps its terminal in raw mode and the alternate screen while the daemon holds it, and
 * forwards only its size changes.
 */
export class DaemonTerminal {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly input: ReadStream,
    readonly output: WriteStream,
  ) {}

  /**
   * Opens the terminal that process `pid` (the attach client, SO_PEERCRED) has as its stdin and stdout, which it
   * said is character device `rdev`; undefined when that cannot be done (the client then draws itself).
   *
   * Security: the peer passed the daemon's peer check (the daemon's uid, not below the daemon, same pid
   * namespace), so this opens nothing its client could not: its own terminal, through /proc/PID/fd. O_NOCTTY,
   * so it never becomes the daemon's controlling terminal (a hang-up there must not signal the daemon). Both
   * descriptors must be terminals and the device the client named, so a descriptor swapped after the hello (or a
   * pid taken by another process) is not drawn on.
   */
  static open(pid: number, rdev: number): DaemonTerminal | undefined {
    const opened: number[] = [];
    try {
      const readFd = openSync(`/proc/${pid}/fd/0`, constants.O_RDONLY | constants.O_NOCTTY);
      opened.push(readFd);
      const writeFd = openSync(`/proc/${pid}/fd/1`, constants.O_WRONLY | constants.O_NOCTTY);
      opened.push(writeFd);
      for (const fd of opened) {
        const stat = fstatSync(fd);
        if (!isatty(fd) || !stat.isCharacterDevice() || stat.rdev !== rdev)
          throw new Error("not that terminal");
      }
      // libuv opens the terminal again by its name for its own non-blocking descriptor (uv_tty_init), so the
      // client's file descriptions keep their flags.
      return new DaemonTerminal(new ReadStream(readFd), new WriteStream(writeFd));
    } catch {
      for (const fd of opened) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
      }
      return undefined;
    }
  }

  /** The terminal's size now (TIOCGWINSZ); the client tells the daemon when it changed. */
  size(): { cols: number; rows: number } {
    try {
      // getWindowSize() gives the size node last read, which it reads again only on its own SIGWINCH
      // (process.stdout's): _refreshSize reads it from the terminal now.
      (this.output as unknown as { _refreshSize?: () => void })._refreshSize?.();
      const [cols, rows] = this.output.getWindowSize();
      return { cols: Math.max(1, cols || 80), rows: Math.max(1, rows || 24) };
    } catch {
      return { cols: 80, rows: 24 };
    }
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
