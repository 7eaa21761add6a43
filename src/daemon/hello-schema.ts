import { z } from "zod";
import { type Hello, MAX_TERMINAL_SIDE } from "./hello.js";
import { SESSION_NAME } from "./session-name.js";

const terminalSide = z.number().int().min(1).max(MAX_TERMINAL_SIDE);

/** A client's first line as the daemon accepts it (see the Hello type in hello.ts); anything else is refused. */
export const helloSchema = z.discriminatedUnion("op", [
  z.strictObject({ ccmux: z.literal(1), op: z.literal("connect"), session: z.string().regex(SESSION_NAME) }),
  z.strictObject({
    ccmux: z.literal(1),
    op: z.literal("attach"),
    session: z.string().regex(SESSION_NAME),
    pane: z.string().min(1).max(64),
    write: z.boolean(),
    resize: z.boolean(),
    cols: terminalSide,
    rows: terminalSide,
    terminal: z
      .strictObject({
        escapeKey: z.string().max(8),
        path: z.string().max(64),
        rdev: z
          .number()
          .int()
          .nonnegative()
          .max(2 ** 53),
      })
      .optional(),
  }),
  z.strictObject({ ccmux: z.literal(1), op: z.literal("ls") }),
  z.strictObject({ ccmux: z.literal(1), op: z.literal("stop") }),
]);

// The schema and the hand-written type say the same thing: either drifting is a compile error.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const agrees: Same<z.infer<typeof helloSchema>, Hello> = true;
void agrees;
