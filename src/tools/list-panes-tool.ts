import { z } from "zod";
import { sanitizeText } from "../panes/sanitize.js";
import { INPUT_MODES } from "../shared/pane-words.js";
import { isPaneListed } from "../validation/pane-target.js";
import { watchedBy, watchedFields } from "./pane-fields.js";
import type { ToolRegistry } from "./tool-registry.js";

const paneShape = z.object({
  pane: z.string(),
  name: z.string(),
  argv: z.array(z.string()),
  cwd: z.string(),
  pid: z.number().int(),
  alive: z.boolean(),
  exitCode: z.number().int().nullable(),
  reason: z
    .literal("daemon restarted")
    .optional()
    .describe(
      "Set when the daemon started again after this pane's process ended or was lost: its history is still readable.",
    ),
  owner: z.enum(["agent", "person"]).describe("`agent`: you spawned it. `person`: started with the server."),
  access: z
    .enum(["read", "write", "none"])
    .describe("What you may do: read (read/wait), write (also type, resize and kill), none."),
  input: z
    .enum(INPUT_MODES)
    .describe("What send_keys may deliver (validated: a shell whose commands come through run)."),
  sandboxed: z.boolean().describe("True when the pane runs in the sandbox."),
  shell: z
    .object({
      cwd: z.string(),
      busy: z.boolean(),
      front: z.enum(["shell", "command"]),
    })
    .optional()
    .describe(
      "A validated shell's state: its directory, whether a command run started is still running, and who holds the terminal (send_keys reaches the command only while it does).",
    ),
  ...watchedFields,
});

const output = z.object({ panes: z.array(paneShape) });

export function registerListPanesTool(registry: ToolRegistry): void {
  registry.add({
    name: "list_panes",
    title: "List panes",
    description:
      "Lists the panes you spawned and the panes the person started, with what you may do to each and whether a person is watching or typing in it.",
    input: z.strictObject({}),
    output,
    annotations: { readOnlyHint: true, openWorldHint: false },
    async handler(_args, ctx) {
      const { host, session } = ctx.deps;
      const panes = (await host.list())
        .filter((pane) => isPaneListed(pane.owner, session))
        .map((pane) => ({
          pane: pane.id,
          name: pane.name,
          argv: pane.argv.map(sanitizeText),
          cwd: sanitizeText(pane.cwd),
          pid: pane.pid,
          alive: pane.alive,
          exitCode: pane.exit?.exitCode ?? null,
          ...(pane.reason ? { reason: pane.reason } : {}),
          owner: pane.owner.kind,
          access: pane.owner.kind === "person" ? pane.owner.access : ("write" as const),
          input: pane.input,
          sandboxed: pane.sandboxed,
          ...(pane.shell
            ? {
                shell: {
                  cwd: sanitizeText(pane.shell.cwd),
                  busy: pane.shell.busy,
                  front: pane.shell.keys === "prompt" ? ("shell" as const) : ("command" as const),
                },
              }
            : {}),
          ...watchedBy(pane),
        }));
      return { panes };
    },
  });
}
