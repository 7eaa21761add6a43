import { Transform, type TransformCallback } from "node:stream";

/** The longest JSON-RPC line a client may send; the SDK's transport closes the connection at 10 MiB. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/**
 * A byte stream of newline-ended frames with every frame longer than `maxBytes` replaced by a short line that is
 * not a JSON-RPC message (so answerMalformedFrames answers and audits it), its size remembered for the reason.
 *
 * Security: the MCP SDK's stdio transport closes the connection when a line passes 10 MiB: one oversized call (an
 * 11 MiB send_keys text) ended `serve` with every pane, unaudited, and left a daemon's bridge hanging (an attack
 * review's find). Nothing longer than `maxBytes` is buffered here: an oversized frame is counted and dropped as it
 * streams.
 */
export class LineLimit extends Transform {
  /** The current line's pieces so far (passed on whole, once its newline arrives). */
  private pending: Buffer[] = [];
  private lineBytes = 0;
  private dropping = false;
  private readonly oversized: number[] = [];

  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {
    super();
  }

  /** The size of the oldest oversized frame not yet reported, in bytes (undefined when none is pending). */
  takeOversized(): number | undefined {
    return this.oversized.shift();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline < 0 ? chunk.length : newline + 1;
      const piece = chunk.subarray(start, end);
      this.lineBytes += piece.length;
      if (!this.dropping && this.lineBytes > this.maxBytes + 1) {
        this.dropping = true;
        this.pending = [];
      }
      if (newline < 0) {
        if (!this.dropping) this.pending.push(piece);
      } else {
        if (this.dropping) {
          this.oversized.push(this.lineBytes - 1);
          this.push(OVERSIZED_MARKER);
        } else this.push(this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]));
        this.pending = [];
        this.lineBytes = 0;
        this.dropping = false;
      }
      start = end;
    }
    done();
  }
}

/** What an oversized frame becomes: JSON, but no JSON-RPC message (answered as such, with its size). */
const OVERSIZED_MARKER = '{"ccmux":"oversized frame"}\n';
