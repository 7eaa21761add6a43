import { z } from "zod";
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
