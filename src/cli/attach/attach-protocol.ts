import { z } from "zod";
import { MAX_TERMINAL_SIDE } from "../../daemon/hello.js";
import type { FrameRows, PaneFrame } from "../../panes/screen-frame.js";

/**
 * What `ccmux attach` and the daemon say after an accepted `attach` hello (src/daemon/hello.ts): one JSON object
 * per line, both ways.
 *
 * Daemon → attach: `{frame}` the pane's screen (drawn by FramePainter, never the pane's bytes), sent first, after
 * the pane's size changed, and when the pane exits; `{rows}` the rows of the last frame that changed since, with
 * the cursor and flags (FrameRows: the client applies them to its frame); `{status}` who watches and who holds
 * write; `{end}` why the view ends (the daemon closes the socket after it).
 * Attach → daemon: `{keys}` what the person typed (typed only while they hold write); `{write}` take or release
 * write; `{size}` the person's terminal size (followed by the pane with `--resize` while they hold write).
 */

/** The longest line the daemon reads from an attached client (a paste is sent in pieces below it). */
export const MAX_ATTACH_LINE = 256 * 1024;
/** The most text one `{keys}` message carries (UTF-16 code units); the client cuts a paste into such pieces. */
export const MAX_KEYS_PER_MESSAGE = 16 * 1024;

const side = z.number().int().min(1).max(MAX_TERMINAL_SIDE);

/** A message from the attach client. */
export const FromViewer = z.union([
  z.strictObject({ keys: z.string().min(1).max(MAX_KEYS_PER_MESSAGE) }),
  z.strictObject({ write: z.boolean() }),
  z.strictObject({ size: z.strictObject({ cols: side, rows: side }) }),
]);
export type FromViewer = z.infer<typeof FromViewer>;

/** Who watches the pane, and what this viewer may do; sent on attach and whenever it changes. */
export interface ViewerStatus {
  /** People attached to the pane, this one included. */
  viewers: number;
  /** This viewer holds write. */
  write: boolean;
  /** Another viewer holds write (its pid), so this one cannot take it now. */
  writeHeldBy?: number;
  /** How the pane's program ended, once it has. */
  exit?: { exitCode: number | null; signal: number | null };
  /** The pane's size (it may change while attached: resize_pane, or a person with --resize). */
  cols: number;
  rows: number;
}

/** A message from the daemon. */
export type ToViewer =
  | { frame: PaneFrame }
  | { rows: FrameRows }
  | { status: ViewerStatus }
  | { end: string };

/**
 * A `{rows}` message as the attach client accepts it: the shape of FrameRows, the runs left to the painter
 * (which draws only what it validates: FramePainter). applyFrameRows then checks that the rows fit the frame.
 */
export const RowsMessage = z.strictObject({
  rows: z.strictObject({
    cols: side,
    rows: side,
    changed: z
      .array(z.tuple([z.number().int().min(0).max(MAX_TERMINAL_SIDE), z.array(z.unknown())]))
      .max(MAX_TERMINAL_SIDE),
    cursor: z.strictObject({ row: z.number().int(), col: z.number().int() }),
    cursorVisible: z.boolean(),
    alternate: z.boolean(),
  }),
});

/** What the daemon answers an accepted `attach` hello with (besides `ok: true`). */
export interface AttachAccepted {
  pane: {
    id: string;
    name: string;
    argv: readonly string[];
    owner: "person" | "agent";
    session?: string;
  };
  viewer: string;
  status: ViewerStatus;
  /** The daemon draws into the client's terminal itself (the hello's `terminal`): the client draws nothing. */
  terminal?: boolean;
}
