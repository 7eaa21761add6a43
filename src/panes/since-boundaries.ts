/**
 * Where a since-mark goes in the output of a pane whose pty the screen thread reads itself (ThreadPtyReader), fixed
 * when the owner asks for it rather than when its request reaches the thread.
 *
 * A since-mark counts what is printed after the call that took it (wait_for `since: "now"`, send_keys' `wait`).
 * While the owner read the pty and posted the output, the request followed the output read before it, in order.
 * Since the thread reads the pty, output it read while the request was on its way counted as printed before it: a
 * wait missed the echo of keys typed right after the mark (send_keys awaited the mark's answer before typing, one
 * round trip, to avoid that) and `wait_for {since: "now"}` could miss what came in that window.
 *
 * Shared memory between the two threads, a BigInt64Array:
 * - [QUEUED]: bytes the thread has queued for the pane, stored by the thread after each read is queued;
 * - [READING]: 1 while the thread reads the pane's pty (set when it starts, cleared when it stops);
 * - [FIRST_SLOT, FIRST_SLOT + SLOTS): mark requests: 0 free, -1 being taken, n > 0 a mark at byte n - 1.
 * The owner takes a free slot (-1), reads QUEUED, and stores the boundary: everything queued later was read after
 * the call began. The thread parses no byte past a boundary (it waits out a slot being taken, which is two
 * statements of the owner's) until the mark's request arrives and is answered there; then the slot is freed.
 */
const QUEUED = 0;
const READING = 1;
const FIRST_SLOT = 2;
const SLOTS = 8;
const FREE = 0n;
const TAKING = -1n;
/** How long the thread waits at a time for a slot being taken (ms): the owner is between two statements. */
const TAKING_WAIT_MS = 1;

/** A new shared record for one pane (see above), sent to the thread with the pty it reads. */
export function newSinceBoundaries(): BigInt64Array {
  return new BigInt64Array(new SharedArrayBuffer(8 * (FIRST_SLOT + SLOTS)));
}

/**
 * Owner: fixes a since-mark at the output queued so far, while the thread reads the pty: `{ slot, at }` to send with
 * the mark's request (at: bytes before the mark). Undefined when the thread does not read it (the request then
 * follows the output in order, as before) or every slot is in use (more than SLOTS marks in flight on one pane).
 */
export function takeSinceBoundary(shared: BigInt64Array): { slot: number; at: number } | undefined {
  if (Atomics.load(shared, READING) !== 1n) return undefined;
  for (let slot = 0; slot < SLOTS; slot++) {
    const index = FIRST_SLOT + slot;
    if (Atomics.compareExchange(shared, index, FREE, TAKING) !== FREE) continue;
    const at = Atomics.load(shared, QUEUED);
    Atomics.store(shared, index, at + 1n);
    Atomics.notify(shared, index);
    return { slot, at: Number(at) };
  }
  return undefined;
}

/** Thread: it reads the pane's pty (true), or no longer does. */
export function setReading(shared: BigInt64Array, reading: boolean): void {
  Atomics.store(shared, READING, reading ? 1n : 0n);
}

/** Thread: `queued` bytes are queued for the pane now. */
export function publishQueued(shared: BigInt64Array, queued: number): void {
  Atomics.store(shared, QUEUED, BigInt(queued));
}

/**
 * Thread: how far the pane's output may be parsed, in bytes ever queued: the lowest boundary asked for, or Infinity.
 * A slot being taken is waited out (Atomics.wait, this being a worker).
 */
export function parseLimit(shared: BigInt64Array): number {
  let limit = Number.POSITIVE_INFINITY;
  for (let index = FIRST_SLOT; index < FIRST_SLOT + SLOTS; index++) {
    let value = Atomics.load(shared, index);
    while (value === TAKING) {
      Atomics.wait(shared, index, TAKING, TAKING_WAIT_MS);
      value = Atomics.load(shared, index);
    }
    if (value > FREE) limit = Math.min(limit, Number(value - 1n));
  }
  return limit;
}

/** Thread: the mark of `slot` is answered; output past it may be parsed. */
export function releaseSinceBoundary(shared: BigInt64Array, slot: number): void {
  if (slot >= 0 && slot < SLOTS) Atomics.store(shared, FIRST_SLOT + slot, FREE);
}
