import { z } from "zod";
import { paneFor } from "./pane-access.js";
import { paneIdField } from "./pane-fields.js";
import type { KillResult } from "./recent-kills.js";
import type { ToolRegistry } from "./tool-registry.js";

const input = z.strictObject({
  pane: paneIdField,
  signal: z
    .enum(["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGKILL"])
    .optional()
    .describe(
      "Sent once (default SIGTERM) to the processes in front on the pane's terminal, as a C-c from the keyboard would be; when they ignore it (a shell at its prompt ignores SIGTERM), the terminal is hung up instead (SIGHUP), as closing it would. If the pane's process has not ended 2 s later, SIGKILL goes to everything the pane started.",
    ),
});

const output = z.object({
  pane: z.string(),
  alive: z.boolean().describe("Always false: the call returns once the process is gone."),
  exitCode: z.number().int().nullable().describe("The program's exit code, or null when a signal ended it."),
  signal: z.number().int().nullable().describe("The number of the signal that ended the program, or null."),
});

export function registerKillPaneTool(registry: ToolRegistry): void {
  registry.add({
    name: "kill_pane",
    title: "Kill a pane",
    description:
      "Ends a pane's process and everything it started (its whole terminal session), then removes the pane. Returns when the process is gone. Idempotent: killing a pane you already killed answers the same again.",
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    async handler(args, ctx) {
      const killed = ctx.deps.connection.killedPanes;
      const earlier = killed.get(args.pane);
      if (earlier !== undefined) {
        // A repeat shares the first call's answer: its refusal too, when the first was refused.
        const answer = await earlier;
        ctx.allow({ pane: args.pane, repeated: true });
        return answer;
      }
      // Recorded before anything is awaited, so that a second kill_pane arriving meanwhile waits for this one
      // instead of signalling the pane again.
      const kill = (async (): Promise<KillResult> => {
        const pane = await paneFor(ctx.deps, args.pane, "kill_pane");
        ctx.allow({ pane: pane.id, pid: pane.pid, killSignal: args.signal ?? "SIGTERM" });
        const ended = await ctx.deps.host.kill(pane.id, args.signal);
        return {
          pane: pane.id,
          alive: false,
          exitCode: ended?.exit?.exitCode ?? null,
          signal: ended?.exit?.signal ?? null,
        };
      })();
      return await killed.add(args.pane, kill);
    },
  });
}
