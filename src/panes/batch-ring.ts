/** One batch's place in the ring: `slot` names it to `release`; the bytes are `[start, start + length)`. */
export interface RingPlace {
  slot: number;
  start: number;
  length: number;
}

interface Live extends RingPlace {
  released: boolean;
}

/**
 * A SharedArrayBuffer that output batches are copied into on the pty-reading thread and parsed from in place on
 * the screen thread, which says when it is done with each (`release`). Places are handed out in order, as in a
 * ring; one released out of order (another pane's batch parsed first) is reused once every older one is released.
 * `place` answers undefined when no room is left: the caller then sends a batch of its own.
 *
 * Why: a batch in its own ArrayBuffer, transferred, cost the reading thread an allocation and zero fill, and the
 * screen thread the buffer's external memory, which V8 collects by running the garbage collector: a third of the
 * screen thread's time in a 50 MB flood went to collection. The ring's memory is allocated once and never moves.
 */
export class BatchRing {
  readonly buffer: SharedArrayBuffer;
  private readonly bytes: Uint8Array;
  /** Places handed out and not yet reused, oldest first (from `first`). */
  private readonly live: Live[] = [];
  private first = 0;
  private readonly bySlot = new Map<number, Live>();
  private nextSlot = 1;

  /** `size`: bytes of the ring (allocated now; pages are touched as batches first reach them). */
  constructor(size: number) {
    this.buffer = new SharedArrayBuffer(size);
    this.bytes = new Uint8Array(this.buffer);
  }

  /** Places handed out and not released. */
  get placed(): number {
    return this.bySlot.size;
  }

  /**
   * Copies `chunks` (`length` bytes in all) into one place of the ring and returns it, or undefined when no
   * free run of `length` bytes is left (nothing is copied then).
   */
  place(chunks: readonly Uint8Array[], length: number): RingPlace | undefined {
    const start = this.freeStart(length);
    if (start === undefined) return undefined;
    copyChunks(this.bytes, start, chunks);
    const live: Live = { slot: this.nextSlot++, start, length, released: false };
    this.live.push(live);
    this.bySlot.set(live.slot, live);
    return { slot: live.slot, start, length };
  }

  /** The screen thread is done with `slot`: its bytes may be written again. Unknown slots are ignored. */
  release(slot: number): void {
    const live = this.bySlot.get(slot);
    if (!live) return;
    this.bySlot.delete(slot);
    live.released = true;
    while (this.first < this.live.length && (this.live[this.first] as Live).released) this.first += 1;
    if (this.first === this.live.length) {
      this.live.length = 0;
      this.first = 0;
    } else if (this.first > 64 && this.first * 2 > this.live.length) {
      this.live.splice(0, this.first);
      this.first = 0;
    }
  }

  /** Releases every place (the screen thread that held them is gone). */
  releaseAll(): void {
    for (const slot of [...this.bySlot.keys()]) this.release(slot);
  }

  /**
   * Where `length` bytes fit: after the newest place, up to the oldest one still in use (or the end of the
   * ring), else from the ring's start up to the oldest one.
   */
  private freeStart(length: number): number | undefined {
    const size = this.bytes.length;
    if (length === 0 || length > size) return undefined;
    if (this.first === this.live.length) return 0;
    const oldest = (this.live[this.first] as Live).start;
    const newest = this.live[this.live.length - 1] as Live;
    const head = newest.start + newest.length;
    if (newest.start >= oldest) {
      // Not wrapped: free from head to the end, and from the start up to the oldest.
      if (size - head >= length) return head;
      return length <= oldest ? 0 : undefined;
    }
    // Wrapped: free from head up to the oldest.
    return oldest - head >= length ? head : undefined;
  }
}

/** Copies `chunks` into `target` one after another from `offset`. */
export function copyChunks(target: Uint8Array, offset: number, chunks: readonly Uint8Array[]): void {
  let at = offset;
  for (const chunk of chunks) {
    target.set(chunk, at);
    at += chunk.byteLength;
  }
}
