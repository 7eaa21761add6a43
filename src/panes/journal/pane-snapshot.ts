import { z } from "zod";
import { INPUT_MODES } from "../../shared/pane-words.js";
import { SHELL_DIALECTS } from "../../shared/shell-variables.js";

/**
 * What a pane's journal holds (issue 15): the pane as list_panes shows it, how it ended, and what read_pane
 * returns (history and screen, and each reader's place for `new`). JSON, sealed by journal-crypto.ts.
 */
export interface PaneSnapshot {
  v: 1;
  id: string;
  name: string;
  argv: string[];
  cwd: string;
  owner: { kind: "agent"; session: string } | { kind: "person"; access: "read" | "write" | "none" };
  input: (typeof INPUT_MODES)[number];
  shell?: (typeof SHELL_DIALECTS)[number];
  sandboxed: boolean;
  pid: number;
  cols: number;
  rows: number;
  /** How its process ended; null while it still ran. */
  exit: { exitCode: number | null; signal: number | null } | null;
  /** History and screen as read_pane `scrollback` renders them (unsanitized: sanitized when read). */
  text: string;
  /** Per reader (session), the lines of `text` it has not read with `new` (from the end). */
  unread: Record<string, number>;
  /** When it was taken (ms since the epoch). */
  takenAt: number;
}

const SNAPSHOT = z.strictObject({
  v: z.literal(1),
  id: z.string().regex(/^p-[A-Za-z0-9_-]{1,64}$/),
  name: z.string().max(256),
  argv: z.array(z.string()).min(1),
  cwd: z.string(),
  owner: z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("agent"), session: z.string() }),
    z.strictObject({ kind: z.literal("person"), access: z.enum(["read", "write", "none"]) }),
  ]),
  input: z.enum(INPUT_MODES),
  shell: z.enum(SHELL_DIALECTS).optional(),
  sandboxed: z.boolean(),
  pid: z.number().int(),
  cols: z.number().int().min(1).max(10_000),
  rows: z.number().int().min(1).max(10_000),
  exit: z
    .strictObject({ exitCode: z.number().int().nullable(), signal: z.number().int().nullable() })
    .nullable(),
  text: z.string(),
  unread: z.record(z.string(), z.number().int().min(0)),
  takenAt: z.number(),
});

export function encodeSnapshot(snapshot: PaneSnapshot): Buffer {
  return Buffer.from(JSON.stringify(snapshot), "utf8");
}

/** The snapshot in an opened journal; throws when it is not one (a journal of another version, or damage). */
export function decodeSnapshot(payload: Buffer): PaneSnapshot {
  return SNAPSHOT.parse(JSON.parse(payload.toString("utf8"))) as PaneSnapshot;
}
