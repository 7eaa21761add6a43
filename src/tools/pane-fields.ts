import { z } from "zod";

/** Input fields shared by the tools that name a pane. */
export const paneIdField = z
  .string()
  .min(1)
  .max(64)
  .describe("The pane id returned by spawn or list_panes (e.g. p-Xk2…).");

export const paneNameField = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    "letters, digits, '.', '_' or '-', at most 64, starting with a letter or digit",
  );

export const cursorShape = z
  .object({ row: z.number().int(), col: z.number().int() })
  .describe("0-based cursor position on the screen.");

export const DEFAULT_COLS = 120;
export const DEFAULT_ROWS = 40;
