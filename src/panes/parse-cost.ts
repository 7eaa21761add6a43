/**
 * Bytes of a pane's output that may wait unparsed, at most: a flood of plain text needs this much in flight to
 * keep reading and parsing overlapped (OutputFeed).
 */
export const MAX_BACKLOG_BYTES = 512 * 1024;
/** ...and at least: one pty read, so a pane whose output is slow to parse still moves. */
export const MIN_BACKLOG_BYTES = 4 * 1024;
/** The backlog before anything of the pane was measured: what `x ESC c` (27 µs a byte) parses in about 0.4 s. */
export const FIRST_BACKLOG_BYTES = 16 * 1024;
/** How long a read of a pane may wait for that pane's own backlog to be parsed, as measured (ms). */
export const BACKLOG_MS = 200;
/** Pieces smaller than this and quicker than MIN_SAMPLE_MS say little about the cost (clock resolution). */
const MIN_SAMPLE_BYTES = 256;
const MIN_SAMPLE_MS = 0.1;
/** Weight of a new sample when the cost falls: a flood of costly sequences is not forgotten after one cheap piece. */
const FALL_WEIGHT = 0.1;
/** A risen cost is told at once (ParseCost.sample) once it is this many times what was last told. */
const TELL_FACTOR = 2;

/**
 * What a pane's output costs the emulator to parse, in ns per byte, from the pieces the screen thread times: it
 * rises to a costlier piece at once and falls slowly. Why (issue 9, attack review F2): 512 KB of `x ESC c` (a
 * full reset between characters, ~27 µs a byte) waited in the screen thread's queue, so every read of that pane
 * waited 10-22 s for it; the backlog a pane may have is now what parses in BACKLOG_MS at its measured cost.
 */
export class ParseCost {
  private estimate: number | undefined;
  private told: number | undefined;

  /** The estimate (ns per byte); undefined before a piece worth timing. */
  get nsPerByte(): number | undefined {
    return this.estimate;
  }

  /**
   * Takes a piece of `bytes` bytes that took `ms` to parse. True when the estimate rose TELL_FACTOR times above
   * what was last told (see tell()): the owner should hear it before the batch is done.
   */
  sample(bytes: number, ms: number): boolean {
    if (bytes <= 0 || (bytes < MIN_SAMPLE_BYTES && ms < MIN_SAMPLE_MS)) return false;
    const cost = (ms * 1e6) / bytes;
    this.estimate =
      this.estimate === undefined || cost >= this.estimate
        ? cost
        : this.estimate + (cost - this.estimate) * FALL_WEIGHT;
    return this.told === undefined || this.estimate >= this.told * TELL_FACTOR;
  }

  /** The estimate as it is being told to the owner now. */
  tell(): number | undefined {
    this.told = this.estimate;
    return this.estimate;
  }
}

/**
 * Bytes a pane may leave unparsed (OutputFeed pauses its pty beyond them): what parses in BACKLOG_MS at
 * `nsPerByte`, between MIN_BACKLOG_BYTES and MAX_BACKLOG_BYTES; FIRST_BACKLOG_BYTES before any measure.
 */
export function backlogBytes(nsPerByte: number | undefined): number {
  if (nsPerByte === undefined || !Number.isFinite(nsPerByte)) return FIRST_BACKLOG_BYTES;
  if (nsPerByte <= 0) return MAX_BACKLOG_BYTES;
  const bytes = Math.floor((BACKLOG_MS * 1e6) / nsPerByte);
  return Math.min(MAX_BACKLOG_BYTES, Math.max(MIN_BACKLOG_BYTES, bytes));
}
