import { readSync } from "node:fs";
import { ReadStream } from "node:tty";

/**
 * One read's room. A pty read returns at most 4095 bytes (the line discipline's buffer); when a read fills the
 * room libuv reads again before it polls, so a flood costs one wake-up per many reads, not one per read.
 */
const READ_BYTES = 4095;
/** Reads land in slabs of this size, handed on as views: no copy, no allocation per read. */
const SLAB_BYTES = 256 * 1024;
/** Bound on one synchronous drain, so a grandchild that keeps writing cannot hold the thread. */
const MAX_SYNC_DRAIN_BYTES = 4 * 1024 * 1024;

/** Where a PtyReader's bytes and its end go. */
export interface PtySink {
  data(chunk: Uint8Array): void;
  /** The reader is done: the pty hung up (every byte read), or `stop` was called. Called once. */
  end(): void;
}

/**
 * Reads a pty master on the thread that parses its output (the screen thread), through a descriptor of its own
 * (a dup the main thread made): closing it never closes, or frees for reuse, the main thread's number.
 *
 * Why the drain at the end: libuv reports EOF as soon as the pty hangs up after a short read, although the kernel
 * may still hold tens of KB (microsoft/node-pty #72, #85): whatever it holds is read synchronously before the
 * descriptor is closed (non-blocking: EAGAIN means nothing more for now, EIO means every writer is gone).
 */
export class PtyReader {
  private readonly stream: ReadStream;
  private slab = new Uint8Array(SLAB_BYTES);
  private offset = 0;
  private paused = false;
  private ended = false;

  constructor(
    private readonly fd: number,
    private readonly sink: PtySink,
  ) {
    this.stream = new ReadStream(fd, {
      onread: {
        buffer: () => this.room(),
        callback: (bytes: number, into: Uint8Array) => {
          this.offset += bytes;
          this.sink.data(into.subarray(0, bytes));
          return !this.paused;
        },
      },
    } as ConstructorParameters<typeof ReadStream>[1]);
    // Before the stream's own end handling, which may destroy it (and close the descriptor) first.
    this.stream.prependListener("end", () => this.finish());
    this.stream.on("error", () => this.finish()); // EIO: every writer is gone
    this.stream.resume();
  }

  /** Stops reading: the kernel buffer fills and the program blocks in write(2). */
  pause(): void {
    if (this.paused || this.ended) return;
    this.paused = true;
    this.stream.pause();
  }

  resume(): void {
    if (!this.paused || this.ended) return;
    this.paused = false;
    this.stream.resume();
  }

  /** Reads what the kernel holds now (bounded), then stops for good and closes the descriptor. */
  stop(): void {
    this.finish();
  }

  /** Where the next read lands: the rest of the slab, or a new slab when too little is left. */
  private room(): Uint8Array {
    if (SLAB_BYTES - this.offset < READ_BYTES) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.offset = 0;
    }
    return this.slab.subarray(this.offset, this.offset + READ_BYTES);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    // The stream owns the descriptor and closes it when destroyed (a read error destroys it: EIO, nothing left);
    // until then, on this thread, the number is ours and safe to read.
    if (!this.stream.destroyed) this.drainSync();
    this.stream.destroy();
    this.sink.end();
  }

  private drainSync(): void {
    for (let total = 0; total < MAX_SYNC_DRAIN_BYTES; ) {
      const into = this.room();
      let read: number;
      try {
        read = readSync(this.fd, into, 0, into.byteLength, null);
      } catch {
        return; // EAGAIN: nothing more now; EIO: all writers gone
      }
      if (read <= 0) return;
      total += read;
      this.offset += read;
      this.sink.data(into.subarray(0, read));
    }
  }
}
