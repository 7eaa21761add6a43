import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  eventually,
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * Cancelling a call that the probing rule holds back used to end the hold early and run the call at once.
 * One refusal slows this connection (slowAfter 1) by 30 s: a spawn sent and cancelled must never run.
 */
let ws: TestWorkspace | undefined;
let mcp: Served | undefined;
afterEach(async () => {
  await mcp?.close();
  ws?.cleanup();
});

describe("cancel skips the probing slowdown", () => {
  it("a held-back spawn that is cancelled does not run, and leaves one CANCELLED record", async () => {
    ws = makeWorkspace({
      commands: [{ command: "touch", args: ["**"] }],
      anomalies: { probing: { slowAfter: 1, blockAfter: 100, windowMs: 600_000, slowMs: 30_000 } },
      sandbox: { mode: "off" },
    });
    mcp = await serveWorkspace(ws);
    await mcp.refused("spawn", { command: "rm -rf probe" }, "COMMAND_NOT_ALLOWED");
    const marker = join(ws.root, "ran-after-cancel");
    const controller = new AbortController();
    const pending = mcp.client.callTool(
      { name: "spawn", arguments: { command: `touch ${marker}` } },
      undefined,
      { signal: controller.signal, timeout: 120_000 },
    );
    controller.abort();
    await expect(pending).rejects.toThrow();
    const record = await eventually(
      () => readAudit(ws?.auditPath as string).find((r) => r.code === "CANCELLED"),
      20_000,
    );
    expect(record).toMatchObject({ event: "call", tool: "spawn", decision: "deny" });
    // The call's one record is written: nothing of it is left to run. The server is then stopped.
    await mcp.close();
    mcp = undefined;
    expect(existsSync(marker)).toBe(false);
    const spawns = readAudit(ws.auditPath).filter((r) => r.event === "call" && r.tool === "spawn");
    expect(spawns.map((r) => [r.decision, r.code])).toEqual([
      ["deny", "COMMAND_NOT_ALLOWED"],
      ["deny", "CANCELLED"],
    ]);
  }, 90_000);
});
