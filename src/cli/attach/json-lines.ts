import type { Socket } from "node:net";

/**
 * Reads newline-ended JSON values from `socket` and calls `onValue` with each, in order. A line longer than
 * `maxBytes`, or one that is not JSON, calls `onBad` with a sentence and stops reading (the caller ends the
 * connection). Nothing longer than `maxBytes` is buffered. Resumes the socket (the hello's reader paused it).
 */
export function readJsonLines(
  socket: Socket,
  maxBytes: number,
  onValue: (value: unknown) => void,
  onBad: (why: string) => void,
): void {
  let pending: Buffer[] = [];
  let size = 0;
  let stopped = false;
  const stop = (why: string): void => {
    stopped = true;
    socket.off("data", onData);
    onBad(why);
  };
  const onData = (chunk: Buffer): void => {
    let start = 0;
    while (!stopped && start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline < 0 ? chunk.length : newline;
      size += end - start;
      if (size > maxBytes) {
        stop(`a line longer than ${maxBytes} bytes`);
        return;
      }
      pending.push(chunk.subarray(start, end));
      if (newline < 0) return;
      const line = Buffer.concat(pending).toString("utf8");
      pending = [];
      size = 0;
      start = newline + 1;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        stop("a line that is not JSON");
        return;
      }
      onValue(value);
    }
  };
  socket.on("data", onData);
  socket.resume();
}
