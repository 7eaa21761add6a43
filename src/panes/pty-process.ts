import { closeSync, writeSync } from "node:fs";
import type { Socket } from "node:net";
import * as nodePty from "node-pty";
import { addon } from "../native/addon.js";
import { setCloseOnExec } from "./fd-flags.js";
import { DRAIN_IDLE_MS, drainPtySync } from "./pty-drain.js";
import { withPosixSpawn } from "./pty-fork.js";

/** How a pane's process ended. */
export interface ProcessExit {
  /** Exit status, or null when the process was ended by a signal. */
  exitCode: number | null;
  /** The terminating signal's number, or null. */
  signal: number | null;
}

/** What a pane needs of its process: a PtyProcess, or an inert stand-in for a pane read back from its journal. */
export type PaneProcess = Pick<
  PtyProcess,
  | "pid"
  | "resize"
  | "write"
  | "writeNow"
  | "foregroundGroup"
  | "flushInput"
  | "inputPending"
  | "pause"
  | "resume"
  | "dispose"
>;

export interface PtyProcessOptions {
  /** argv[0] is the absolute executable; it is exec'd directly, no shell. */
  argv: readonly string[];
  cwd: string;
  /** The complete environment of the child; nothing is inherited. */
  env: Record<string, string>;
  cols: number;
  rows: number;
  /** TERM name handed to node-pty (it sets TERM itself from this). */
  term: string;
  /** Descriptors the child must inherit (the sandbox's seccomp program); close-on-exec again after the fork. */
  passFds?: readonly number[];
  /**
   * How the child is started: node-pty's forkpty (default), or posix_spawn (pty-fork.ts), which holds this thread
   * about 1 ms instead of a fork's 5-16 ms but fails the spawn itself on a `cwd` or program it cannot use, where a
   * forked child prints the error and exits 1. Spares use it: their program and directory are fixed.
   */
  spawnWith?: "fork" | "posix_spawn";
}

/** The libuv stream handle under node's socket (node's own net.js drives it the same way). */
interface SocketHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

/** Where a PtyProcess delivers its output and its end. */
export interface PtyHandlers {
  onData(chunk: Uint8Array): void;
  onExit(exit: ProcessExit): void;
}

/** Input the terminal did not take is tried again after this long (ms), doubling while it takes nothing... */
const INPUT_RETRY_MIN_MS = 1;
/** ...up to this (ms): a program that never reads its input costs a write attempt 20 times a second. */
const INPUT_RETRY_MAX_MS = 50;

/**
 * One child process on a pseudo-terminal. Output arrives as raw bytes (no string decoding on this thread);
 * the owner applies flow control with `pause`/`resume`, and `onExit` fires only after every byte the process
 * wrote has been delivered to `onData`.
 */
export class PtyProcess {
  readonly pid: number;
  /** How the child was started: posix_spawn only when asked for and node-pty's layout is the one known. */
  readonly spawnedWith: "fork" | "posix_spawn";
  private readonly pty: nodePty.IPty;
  private readonly masterFd: number;
  private paused = false;
  private closed = false;
  /**
   * The master descriptor is closed (or about to be): its number may already belong to another file, so nothing
   * may write to it, flush it or ask it anything (see `write`).
   */
  private released = false;
  /** Input the terminal has not taken yet, oldest first (see `write`). */
  private readonly input: Buffer[] = [];
  private inputTimer: NodeJS.Timeout | undefined;
  private inputRetryMs = INPUT_RETRY_MIN_MS;
  private drainTimer: NodeJS.Timeout | undefined;
  private forceDestroy: (() => void) | undefined;
  private draining = false;
  /** Another thread reads the pty (handOff) until takeBack or endHandOff; told when the process has exited. */
  private handedOff: { exited(): void } | undefined;

  constructor(
    options: PtyProcessOptions,
    private readonly handlers: PtyHandlers,
  ) {
    const [file, ...args] = options.argv;
    if (file === undefined) throw new Error("argv must not be empty");
    const passFds = options.passFds ?? [];
    // node-pty forks synchronously on this thread, so no other spawn can inherit these in between.
    for (const fd of passFds) setCloseOnExec(fd, false);
    const spawn = () =>
      nodePty.spawn(file, args, {
        name: options.term,
        cols: options.cols,
        rows: options.rows,
        cwd: options.cwd,
        env: options.env,
        encoding: null,
      });
    try {
      if (options.spawnWith === "posix_spawn") {
        const spawned = withPosixSpawn(spawn);
        this.pty = spawned.value;
        this.spawnedWith = spawned.used ? "posix_spawn" : "fork";
      } else {
        this.pty = spawn();
        this.spawnedWith = "fork";
      }
    } finally {
      for (const fd of passFds) setCloseOnExec(fd, true);
    }
    this.pid = this.pty.pid;
    const masterFd = (this.pty as unknown as { _fd?: number })._fd;
    // Security: forkpty leaves the master inheritable; every later pane would hold it and could type into this
    // pane or read its output (pane escape, seed §6.1). Close-on-exec keeps it in this process only.
    if (typeof masterFd !== "number") {
      this.pty.kill("SIGKILL");
      throw new Error("node-pty did not expose the pty master descriptor");
    }
    this.masterFd = masterFd;
    try {
      setCloseOnExec(masterFd);
    } catch (error) {
      this.pty.kill("SIGKILL"); // never leave a process running that we could not secure
      throw error;
    }
    this.guardDrainOnExit();
    // node-pty rethrows read errors other than EIO when fewer than two listeners exist; a pane must never crash the server.
    (this.pty as unknown as { on(event: "error", listener: (error: Error) => void): void }).on(
      "error",
      () => {},
    );
    this.pty.onData((chunk) => {
      this.handlers.onData(chunk as unknown as Uint8Array);
      if (this.draining) this.armDrainTimer();
    });
    this.pty.onExit(({ exitCode, signal }) => {
      this.closed = true;
      clearTimeout(this.drainTimer);
      this.handlers.onExit({ exitCode: signal ? null : exitCode, signal: signal || null });
    });
  }

  /** Resizes the pty (TIOCSWINSZ): the program gets SIGWINCH. Not once the master is released (see `released`). */
  resize(cols: number, rows: number): void {
    if (!this.closed && !this.released) this.pty.resize(cols, rows);
  }

  /**
   * Writes `bytes` (UTF-8) to the program's input, in order: what the terminal takes now is written at once;
   * the rest waits here (the program is not reading), and so does everything after it, tried again on a timer
   * (INPUT_RETRY_MIN_MS doubling to INPUT_RETRY_MAX_MS while the terminal takes nothing). Dropped once the pty
   * closes.
   *
   * Security: node-pty's own queue writes through libuv's thread pool (fs.write) by descriptor number, and a
   * write already handed to the pool ran after the pane closed its master: EBADF (an attack review's "Unhandled
   * pty write error"), or, with the number reused by then, the pane's input written into another pane's pty or
   * a file the server had just opened. Here every write is synchronous, on this thread, and checks first that
   * the descriptor is still ours (`released`). It also spares each keystroke the hop to the pool and back.
   */
  write(bytes: string): void {
    if (this.closed || this.released) return;
    const data = Buffer.from(bytes, "utf8");
    if (this.input.length > 0) {
      this.input.push(data);
      return;
    }
    const written = this.writeWhatFits(data);
    if (written < data.length && !this.released) {
      this.input.push(data.subarray(written));
      this.retryInput();
    }
  }

  /** Tries the waiting input again after the current back-off. */
  private retryInput(): void {
    clearTimeout(this.inputTimer);
    this.inputTimer = setTimeout(() => this.writeWaitingInput(), this.inputRetryMs);
  }

  private writeWaitingInput(): void {
    this.inputTimer = undefined;
    let took = false;
    while (this.input.length > 0 && !this.closed && !this.released) {
      const head = this.input[0] as Buffer;
      const written = this.writeWhatFits(head);
      if (written > 0) took = true;
      if (written === head.length) {
        this.input.shift();
        continue;
      }
      if (this.released) break;
      this.input[0] = head.subarray(written);
      this.inputRetryMs = took ? INPUT_RETRY_MIN_MS : Math.min(this.inputRetryMs * 2, INPUT_RETRY_MAX_MS);
      this.retryInput();
      return;
    }
    this.input.length = 0;
    this.inputRetryMs = INPUT_RETRY_MIN_MS;
  }

  /**
   * Writes `bytes` (UTF-8) to the program's input now, synchronously, as far as the terminal takes them (its
   * input buffer is full while the program does not read): returns how many bytes were written; the rest is
   * dropped. Nothing is left queued to arrive later (a validated shell flushes its terminal's input before each
   * command, which a queued write would miss). The master is non-blocking (node-pty makes it so): never blocks.
   */
  writeNow(bytes: string): number {
    if (this.closed || this.released || this.input.length > 0) return 0;
    return this.writeWhatFits(Buffer.from(bytes, "utf8"));
  }

  /**
   * Writes `data` to the master until the terminal takes no more; returns how many bytes it took. EAGAIN: the
   * program has not read what it has. Any other error (EIO: the pty is hanging up) ends all writing.
   */
  private writeWhatFits(data: Buffer): number {
    let written = 0;
    while (written < data.length && !this.released) {
      try {
        written += writeSync(this.masterFd, data, written);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") this.release();
        break;
      }
    }
    return written;
  }

  /** The master descriptor is no longer ours to use (see `released`): waiting input is dropped. */
  private release(): void {
    this.released = true;
    clearTimeout(this.inputTimer);
    this.inputTimer = undefined;
    this.input.length = 0;
  }

  /** The terminal's foreground process group (tcgetpgrp on the master); -1 when unknown or closed. */
  foregroundGroup(): number {
    return this.closed || this.released ? -1 : addon.foregroundGroup(this.masterFd);
  }

  /** Discards input written to the terminal that no program has read yet (tcflush TCIFLUSH), and input waiting here. */
  flushInput(): void {
    this.input.length = 0;
    if (!this.closed && !this.released) addon.flushPtyInput(this.masterFd);
  }

  /**
   * Whether input written so far is still unread by the program: waiting here for the terminal to take it, or
   * waiting in the kernel. Undefined when the kernel cannot tell (no TIOCGPTPEER).
   */
  inputPending(): boolean | undefined {
    if (this.closed || this.released) return false;
    if (this.input.length > 0) return true;
    const queued = addon.ptyInputQueued(this.masterFd);
    return queued < 0 ? undefined : queued > 0;
  }

  /**
   * Has another reader read the pty from now on: `take` gets a close-on-exec duplicate of the master and says
   * whether it took it (it then owns it and must close it; this thread stops reading). `reader.exited` is told
   * once the process has exited and node-pty would end reading: the reader ends once output stays idle. False
   * when nothing was handed off (the pty is closing, or `take` refused: the duplicate is closed here).
   *
   * Security: the duplicate is close-on-exec from the start (no pane can inherit it). It keeps the pty open
   * until the reader closes it, so a pane's hangup waits for that (its screen's dispose).
   */
  handOff(take: (fd: number) => boolean, reader: { exited(): void }): boolean {
    if (this.closed || this.released || this.handedOff || this.forceDestroy === undefined) return false;
    const socket = this.socketInternals();
    // Output read here and not delivered yet would come after what the other reader reads first.
    if (!socket || socket.readableLength > 0) return false;
    const fd = addon.dupCloexec(this.masterFd);
    if (!take(fd)) {
      closeSync(fd);
      return false;
    }
    this.handedOff = reader;
    this.pty.pause();
    // A paused stream still reads ahead into its buffer (and its handle reads from the moment it is made):
    // two readers would each get part of the output. The handle stops reading until takeBack.
    socket._read = () => {};
    socket._handle.reading = false;
    socket._handle.readStop();
    if (this.draining) reader.exited();
    return true;
  }

  /** The other reader stopped (handOff): this thread reads the pty again, from where it left off. */
  takeBack(): void {
    if (!this.handedOff) return;
    this.handedOff = undefined;
    const socket = this.socketInternals();
    if (this.closed || this.released || !socket || socket.destroyed) return;
    delete (socket as Partial<typeof socket>)._read; // the stream's own again
    // The stream asked the stopped _read for data and waits for it (it asks again only after a push): the
    // handle is started here, as node's own _read does.
    socket._handle.reading = true;
    socket._handle.readStart();
    if (this.paused) return;
    this.pty.resume();
    if (this.draining) this.armDrainTimer();
  }

  /** node-pty's socket with the parts of node's stream internals handOff needs, or undefined when they differ. */
  private socketInternals(): (Socket & { _read: (size: number) => void; _handle: SocketHandle }) | undefined {
    const socket = (this.pty as unknown as { _socket?: Socket })._socket;
    const handle = (socket as unknown as { _handle?: Partial<SocketHandle> } | undefined)?._handle;
    if (!socket || typeof handle?.readStop !== "function" || typeof handle.readStart !== "function")
      return undefined;
    return socket as Socket & { _read: (size: number) => void; _handle: SocketHandle };
  }

  /**
   * The other reader reached the pty's end (handOff): what the kernel still holds is read here, and the pty is
   * released; node-pty reports the exit then.
   */
  endHandOff(): void {
    if (!this.handedOff) return;
    this.handedOff = undefined;
    this.forceDestroy?.();
  }

  /** Stop reading: the kernel buffer fills and the child blocks in write(2). */
  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    clearTimeout(this.drainTimer);
    this.pty.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.closed || this.handedOff) return;
    this.pty.resume();
    if (this.draining) this.armDrainTimer();
  }

  /** Stop reading and release the pty for good (the process should be gone or going). */
  dispose(): void {
    clearTimeout(this.drainTimer);
    clearTimeout(this.inputTimer);
    this.input.length = 0;
    if (this.forceDestroy) this.forceDestroy();
    // Security: node-pty signals by pid; once the exit was reported the pid is reaped and may be anyone's.
    else if (!this.closed) this.pty.kill("SIGHUP");
  }

  /**
   * Why: two known ways to lose the end of a pane's output (microsoft/node-pty #72, #85, #726), both seen here
   * with a 1 MB `cat`:
   * 1. libuv reports EOF as soon as the pty hangs up after a short read, although the kernel still holds up to
   *    tens of KB for us; the socket stops reading and that data is never delivered.
   * 2. node-pty destroys its socket 200 ms after the child exits, even when the socket is paused (flow control)
   *    or the event loop was busy rendering.
   * We take over the socket's destroy: before the fd is closed, whatever the kernel still holds is read
   * synchronously (the fd is non-blocking: EAGAIN means nothing more for now, EIO means every writer is gone).
   * node-pty's post-exit destroy is deferred instead: reading goes on until EOF, or until output stays idle for
   * DRAIN_IDLE_MS while we are not paused (a grandchild still holds the tty).
   */
  private guardDrainOnExit(): void {
    const internals = this.pty as unknown as { _socket?: Socket; _fd?: number };
    const socket = internals._socket;
    const fd = internals._fd;
    if (!socket || typeof socket.destroy !== "function" || typeof fd !== "number") return;
    const destroy = socket.destroy.bind(socket);
    let ended = false;
    let forced = false;
    const drainAndDestroy = (error?: Error): void => {
      if (!socket.destroyed) this.drainSync(fd);
      // The descriptor closes with the socket (synchronously, in libuv's uv_close): nothing may use it after.
      this.release();
      if (!socket.destroyed) destroy(error);
    };
    socket.once("close", () => this.release());
    this.forceDestroy = () => {
      forced = true;
      drainAndDestroy();
    };
    socket.once("end", () => {
      ended = true;
      this.drainSync(fd);
    });
    socket.destroy = ((error?: Error) => {
      if (forced || ended || error || socket.destroyed) {
        drainAndDestroy(error);
        return socket;
      }
      this.draining = true;
      if (this.handedOff) this.handedOff.exited();
      else this.armDrainTimer();
      return socket;
    }) as typeof socket.destroy;
  }

  /** Reads what the kernel still buffers for this pty, without blocking, and delivers it. */
  private drainSync(fd: number): void {
    drainPtySync(fd, (chunk) => this.handlers.onData(chunk));
  }

  private armDrainTimer(): void {
    clearTimeout(this.drainTimer);
    if (this.paused || this.closed) return;
    this.drainTimer = setTimeout(() => this.forceDestroy?.(), DRAIN_IDLE_MS);
  }
}
