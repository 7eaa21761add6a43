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
 * Cancelling a call that the probing brake held back used to end the hold early and run the call at once.
 * The brake now holds only refused answers (the call was decided, and did nothing, before the hold), and never
 * an allowed call. One refusal slows this connection (slowAfter 1) by 30 s.
 */
let ws: TestWorkspace | undefined;
let mcp: Served | undefined;
afterEach(async () => {
  await mcp?.close();
  ws?.cleanup();
});

describe("cancel skips the probing slowdown", () => {
  it("a held-back refusal that is cancelled runs nothing and leaves its one record; allowed calls are not held", async () => {
    ws = makeWorkspace({
      commands: [{ command: "touch", args: ["**"] }],
      anomalies: { probing: { slowAfter: 1, blockAfter: 100, windowMs: 600_000, slowMs: 30_000 } },
      sandbox: { mode: "off" },
    });
    mcp = await serveWorkspace(ws);
    await mcp.refused("spawn", { command: "rm -rf probe" }, "COMMAND_NOT_ALLOWED");
    const victim = join(ws.root, "probe-ran");
    const controller = new AbortController();
    const pending = mcp.client.callTool(
      { name: "spawn", arguments: { command: `touch ${victim} | cat` } },
      undefined,
      { signal: controller.signal, timeout: 120_000 },
    );
    // The held call's decision is written before the hold: wait for it, then cancel.
    const path = ws.auditPath;
    await eventually(() => readAudit(path).filter((r) => r.tool === "spawn").length >= 2, 20_000);
    controller.abort();
    await expect(pending).rejects.toThrow();
    // An allowed call is answered at once while the brake is on (a 20 s timeout, against a 30 s hold).
    const marker = join(ws.root, "allowed-ran");
    await mcp.client.callTool({ name: "spawn", arguments: { command: `touch ${marker}` } }, undefined, {
      timeout: 20_000,
    });
    await eventually(() => existsSync(marker), 20_000);
    await mcp.close();
    mcp = undefined;
    expect(existsSync(victim)).toBe(false);
    const spawns = readAudit(ws.auditPath).filter((r) => r.event === "call" && r.tool === "spawn");
    expect(spawns.map((r) => [r.decision, r.code])).toEqual([
      ["deny", "COMMAND_NOT_ALLOWED"],
      ["deny", "COMMAND_SYNTAX_FORBIDDEN"],
      ["allow", undefined],
    ]);
  }, 90_000);
});
