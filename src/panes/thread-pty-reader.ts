import { ReadStream } from "node:tty";
import { DRAIN_IDLE_MS, drainPtySync } from "./pty-drain.js";

/** How a ThreadPtyReader's reading ended: the pty's end (EOF, or idle after the exit), or its owner's stop. */
export type ReadEnd = "end" | "stopped";

/** Where a ThreadPtyReader delivers what it reads. */
export interface ReadSink {
  data(chunk: Uint8Array): void;
  /** Reading ended and the descriptor is closed; `read`: bytes delivered to `data` in all. */
  ended(how: ReadEnd, read: number): void;
}

/**
 * Reads a pane's pty on the screen thread, from a descriptor of its own (a close-on-exec duplicate of the master,
 * PtyProcess.handOff), which it owns from the constructor on and closes when reading ends.
 *
 * Why: a flood read on the main thread and posted here cost both threads: on the 2-core bench machine, `cat` of
 * 50 MB ran at 0.61-0.67× raw node-pty's rate that way, and 0.80× with no parsing at all. Read and parsed on this
 * thread, the main thread is not involved at all (probe: 0.87-0.93× with parsing).
 *
 * Its end follows PtyProcess's: libuv reports EOF while the kernel may still hold tens of KB (node-pty #72,
 * #85), so what is left is read synchronously before the descriptor closes; after the process exited, output
 * that stays idle for DRAIN_IDLE_MS ends reading (a grandchild holds the pty).
 */
export class ThreadPtyReader {
  private readonly stream: ReadStream;
  private readonly destroyStream: (error?: Error) => void;
  private read = 0;
  private paused = false;
  private processExited = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    private readonly fd: number,
    private readonly sink: ReadSink,
  ) {
    this.stream = new ReadStream(fd);
    this.destroyStream = this.stream.destroy.bind(this.stream);
    // Security: node destroys the stream on EOF and on a read error (EIO once every writer is gone), which
    // closes the descriptor; what the kernel still holds is read first, while the number is still ours.
    this.stream.destroy = ((error?: Error) => {
      this.finish("end", true, error);
      return this.stream;
    }) as typeof this.stream.destroy;
    this.stream.on("error", () => {}); // EIO is the pty's end; nothing a pane does may throw here
    this.stream.on("data", (chunk: Buffer) => this.deliver(chunk));
  }

  /** Stops reading for now: the kernel's buffer fills and the program blocks in write(2). */
  pause(): void {
    if (this.paused || this.done) return;
    this.paused = true;
    clearTimeout(this.idleTimer);
    this.stream.pause();
  }

  resume(): void {
    if (!this.paused || this.done) return;
    this.paused = false;
    this.stream.resume();
    if (this.processExited) this.armIdle();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** The pane's process exited: reading ends once output stays idle for DRAIN_IDLE_MS (or at EOF before). */
  exited(): void {
    this.processExited = true;
    this.armIdle();
  }

  /**
   * Ends reading now: what the stream holds is delivered, what the kernel holds is left for the owner to read
   * (or for nobody). The descriptor is closed before `ended` is told.
   */
  stop(): void {
    this.finish("stopped", false);
  }

  private deliver(chunk: Uint8Array): void {
    if (this.done) return;
    this.read += chunk.byteLength;
    this.sink.data(chunk);
    if (this.processExited) this.armIdle();
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.paused || this.done) return;
    this.idleTimer = setTimeout(() => this.finish("end", true), DRAIN_IDLE_MS);
  }

  private finish(how: ReadEnd, drain: boolean, error?: Error): void {
    if (this.done) return;
    // The stream reads ahead into its buffer while paused, and a read error (EIO: the pty's end) destroys it at
    // once with that still in it: it is delivered first, then (at the pty's end) what the kernel holds.
    for (let chunk = this.stream.read(); chunk !== null; chunk = this.stream.read()) this.deliver(chunk);
    if (drain) this.drainSync();
    this.done = true;
    clearTimeout(this.idleTimer);
    // The descriptor closes with the stream (synchronously, in libuv's uv_close): nothing may use it after.
    this.destroyStream(error);
    this.sink.ended(how, this.read);
  }

  /** Reads what the kernel still buffers for this pty, without blocking, and delivers it. */
  private drainSync(): void {
    drainPtySync(this.fd, (chunk) => this.deliver(chunk));
  }
}
