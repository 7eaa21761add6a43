import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AS_ROOT,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

// Found by a reviewer attacking issue 10's build: the pane launcher that reports a sandboxed program's real exit
// status ran as the program's own user, so `kill -STOP $PPID; exit 3` froze it: the pane read as running, and
// kill_pane reported SIGKILL instead of exit code 3. Under a root server the launcher now runs as root (before
// setpriv), out of the program's reach. A non-root server's launcher shares the program's uid (README).
describe.runIf(AS_ROOT)(
  "a sandboxed program cannot stop its launcher to hide its exit status (root server)",
  () => {
    let ws: TestWorkspace;
    let mcp: Served;
    beforeAll(async () => {
      ws = makeWorkspace({
        commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
        sandbox: { mode: "required" },
      });
      mcp = await serveWorkspace(ws);
    });
    afterAll(async () => {
      await mcp?.close();
      ws?.cleanup();
    });

    it("kill -STOP $PPID is refused, and the pane reports the program's exit code 3", async () => {
      const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
      const end = await mcp.ok<{
        reason: string;
        exitCode: number | null;
        signal: number | null;
        text: string;
      }>("send_keys", {
        pane,
        text: "kill -STOP $PPID; exit 3",
        submit: true,
        wait: { exit: true, timeout_ms: 15_000 },
      });
      const wait = (
        end as unknown as { wait: { reason: string; exitCode: number | null; signal: number | null } }
      ).wait;
      expect(wait).toMatchObject({ reason: "exited", exitCode: 3, signal: null });
    });
  },
);
