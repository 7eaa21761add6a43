import { spawnSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  makeWorkspace,
  processesWith,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

const hasPrlimit = spawnSync("prlimit", ["--version"]).status === 0;

describe.skipIf(!hasPrlimit)("audit fail-closed (needs util-linux prlimit to cap the file size)", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  const marker = `9${process.pid}${Date.now() % 1000}`;

  beforeAll(async () => {
    ws = makeWorkspace({ commands: [{ command: "sleep", args: ["*"] }] });
    // A log that is almost at the server's file-size limit: the start record fits, the next calls do not.
    writeFileSync(ws.auditPath, "", { mode: 0o600 });
    const limit = 4096;
    mcp = await serveWorkspace(ws, {}, ["prlimit", `--fsize=${limit}`, "--"]);
    // Leave 40 bytes: less than any record needs.
    const room = limit - statSync(ws.auditPath).size - 40;
    writeFileSync(ws.auditPath, `${JSON.stringify({ pad: "x".repeat(room - 11) })}\n`, { flag: "a" });
    expect(statSync(ws.auditPath).size).toBe(limit - 40);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("a call whose record cannot be written is refused with AUDIT_UNAVAILABLE and starts nothing", async () => {
    const sizeBefore = readAudit(ws.auditPath).length;
    await mcp.refused("spawn", { command: `sleep ${marker}` }, "AUDIT_UNAVAILABLE");
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    // No torn half-record was left behind.
    expect(readAudit(ws.auditPath)).toHaveLength(sizeBefore);
  });

  it("the server keeps running and answers every call with AUDIT_UNAVAILABLE", async () => {
    await mcp.refused("list_panes", {}, "AUDIT_UNAVAILABLE");
    await mcp.refused("spawn", { command: "rm -rf /" }, "AUDIT_UNAVAILABLE");
    const { tools } = await mcp.client.listTools();
    expect(tools.length).toBeGreaterThan(0);
  });
});
