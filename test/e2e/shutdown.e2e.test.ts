import { describe, expect, it } from "vitest";
import {
  eventually,
  makeWorkspace,
  processesWith,
  processGone,
  readAudit,
  serveWorkspace,
} from "../support/mcp-harness.js";

describe("clean shutdown", () => {
  it.each(["stdin close", "SIGTERM"])(
    "on %s the server exits and leaves no orphan processes",
    async (how) => {
      const marker = `${how === "SIGTERM" ? 7 : 8}${process.pid % 1000}${Date.now() % 10000}`;
      const ws = makeWorkspace({
        commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      });
      try {
        const mcp = await serveWorkspace(ws);
        const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
        // A background job lands in its own process group: killing only the pane's group would orphan it.
        await mcp.ok("send_keys", { pane, text: `sleep ${marker} & sleep ${marker}1`, submit: true });
        await eventually(() => processesWith(`sleep ${marker}`).length >= 2);
        if (how === "SIGTERM") process.kill(mcp.serverPid, "SIGTERM");
        else await mcp.close();
        await eventually(() => processGone(mcp.serverPid));
        await eventually(() => processesWith(`sleep ${marker}`).length === 0);
        expect(processesWith(`sleep ${marker}`)).toEqual([]);
        expect(readAudit(ws.auditPath).at(-1), mcp.stderr()).toMatchObject({ event: "stop" });
        await mcp.close();
      } finally {
        ws.cleanup();
      }
    },
  );
});
