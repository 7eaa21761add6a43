import { z } from "zod";
import type { PaneInfo } from "../panes/pane-host.js";
import { PANE_NAME } from "../validation/policy-schema.js";

/** Input fields shared by the tools that name a pane. */
export const paneIdField = z
  .string()
  .min(1)
  .max(64)
  .describe("The pane id returned by spawn or list_panes (e.g. p-Xk2…).");

export const paneNameField = z
  .string()
  .regex(PANE_NAME, "letters, digits, '.', '_' or '-', at most 64, starting with a letter or digit");

export const cursorShape = z
  .object({ row: z.number().int(), col: z.number().int() })
  .describe("0-based cursor position on the screen.");

/**
 * Schema bound on free-text inputs, far above any policy's maxInputBytes: a multi-megabyte string is refused
 * by the schema before any work (and is not copied into the audit log whole, which caps strings anyway).
 */
export const MAX_TEXT_FIELD = 1024 * 1024;

export const DEFAULT_COLS = 120;
export const DEFAULT_ROWS = 40;

/** The terminal sizes an agent may ask for, in spawn and resize_pane: columns and rows, inclusive. */
export const PANE_COLS = { min: 20, max: 400 } as const;
export const PANE_ROWS = { min: 5, max: 200 } as const;

/** A terminal width in columns, within PANE_COLS (describe it where it is used). */
export const colsField = z.number().int().min(PANE_COLS.min).max(PANE_COLS.max);
/** A terminal height in rows, within PANE_ROWS (describe it where it is used). */
export const rowsField = z.number().int().min(PANE_ROWS.min).max(PANE_ROWS.max);

/** Output fields that say whether a person watches a pane (`ccmux attach`), for results that describe panes. */
export const watchedFields = {
  viewers: z
    .number()
    .int()
    .describe("How many people watch this pane now (`ccmux attach`): they see what you see and type."),
  personTyping: z
    .boolean()
    .describe(
      "True while a person holds write on this pane: send_keys and resize_pane answer PANE_BUSY until they release it; reading still works.",
    ),
};

/** The watchedFields of a pane. */
export function watchedBy(pane: Pick<PaneInfo, "viewers" | "personTyping">): {
  viewers: number;
  personTyping: boolean;
} {
  return { viewers: pane.viewers, personTyping: pane.personTyping };
}
