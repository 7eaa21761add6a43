import { closeSync, readSync } from "node:fs";
import { addon } from "../../native/addon.js";
import type { ProcessExit } from "../pty-process.js";

/** Longer than any record the launcher writes ("signal 64\n"); anything longer is not one. */
const MAX_RECORD_BYTES = 32;
/** Signal numbers Linux has (1…SIGRTMAX). */
const MAX_SIGNAL = 64;

/**
 * The program's own end, from bwrap's exit and the pane launcher's record (native/pane-launcher.c: "exit N\n" or
 * "signal N\n"). bwrap alone reports a program killed by signal N as exit code 128+N, the same as a program
 * that exited 128+N.
 * Security: the record comes from inside the sandbox. It is believed only where it agrees with bwrap's exit
 * ("exit N" when bwrap exited N, "signal N" when bwrap exited 128+N), so at most it tells apart two ends the
 * program could have chosen itself; a record that disagrees, or is malformed, is ignored.
 * Without a believable record (the launcher itself was killed, by the SIGKILL sweep for one), an exit code
 * of 128+N is taken for signal N, which killed the launcher and the program with it.
 */
export function reconcileExit(outer: ProcessExit, record: string | undefined): ProcessExit {
  const code = outer.exitCode;
  if (outer.signal !== null || code === null) return outer; // bwrap itself was killed: that is the pane's end
  const exited = /^exit (\d{1,3})\n$/.exec(record ?? "");
  if (exited && Number(exited[1]) === code) return { exitCode: code, signal: null };
  const signalled = /^signal (\d{1,2})\n$/.exec(record ?? "");
  if (signalled && Number(signalled[1]) === code - 128 && isSignal(code - 128)) {
    return { exitCode: null, signal: code - 128 };
  }
  return isSignal(code - 128) ? { exitCode: null, signal: code - 128 } : outer;
}

function isSignal(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_SIGNAL;
}

/**
 * The pipe a sandboxed pane's launcher writes its record into. The write end goes to the launch (inheritable
 * only around its spawn) and is closed here after it; the read end stays with the server, non-blocking, until
 * the pane's exit is resolved or the pane is disposed.
 */
export class ExitStatusPipe {
  readonly writeFd: number;
  private readFd: number | undefined;
  private writeOpen = true;

  constructor() {
    const [readFd, writeFd] = addon.makePipe();
    this.readFd = readFd;
    this.writeFd = writeFd;
  }

  /** Closes the server's copy of the write end (call once the launch has started, or failed to). */
  releaseWriteEnd(): void {
    if (!this.writeOpen) return;
    this.writeOpen = false;
    closeSync(this.writeFd);
  }

  /** The pane's end given bwrap's: reads the launcher's record (never blocking) and closes the pipe. */
  resolve(outer: ProcessExit): ProcessExit {
    return reconcileExit(outer, this.readRecord());
  }

  /** Closes both ends. Idempotent. */
  close(): void {
    this.releaseWriteEnd();
    if (this.readFd === undefined) return;
    closeSync(this.readFd);
    this.readFd = undefined;
  }

  /** What the launcher wrote, or undefined when nothing (or more than a record) is there. */
  private readRecord(): string | undefined {
    const fd = this.readFd;
    if (fd === undefined) return undefined;
    const buffer = Buffer.alloc(MAX_RECORD_BYTES + 1);
    let length = 0;
    try {
      while (length < buffer.length) {
        const read = readSync(fd, buffer, length, buffer.length - length, null);
        if (read <= 0) break;
        length += read;
      }
    } catch {
      // EAGAIN: a writer still holds the pipe and wrote no more
    } finally {
      this.close();
    }
    if (length === 0 || length > MAX_RECORD_BYTES) return undefined;
    return buffer.toString("latin1", 0, length);
  }
}
