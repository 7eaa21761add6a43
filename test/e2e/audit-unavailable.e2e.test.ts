import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  makeWorkspace,
  processesWith,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/** A real, tiny filesystem (tmpfs) for the audit log, when this process may mount one (root). */
function mountTinyFs(): string | undefined {
  const dir = mkdtempSync("/var/tmp/ccmux-tinyfs-");
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", dir]).status === 0;
  if (!mounted) rmSync(dir, { recursive: true, force: true });
  return mounted ? dir : undefined;
}

const tiny = mountTinyFs();

describe.skipIf(tiny === undefined)("audit disk full (a 256 KiB tmpfs; needs permission to mount)", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  let auditPath: string;
  const filler = join(tiny ?? "", "filler");
  const marker = `9${process.pid}${Date.now() % 1000}`;
  // Records larger than a page: the log file's last, partly used page cannot absorb them.
  const padding = "9".repeat(6000);

  beforeAll(async () => {
    const dir = join(tiny ?? "", "state");
    mkdirSync(dir, { mode: 0o700 });
    auditPath = join(dir, "audit.jsonl");
    ws = makeWorkspace({
      commands: [{ command: "sleep", args: ["**"] }],
      audit: { path: auditPath },
      limits: { maxInputBytes: 65_536 },
    });
    mcp = await serveWorkspace(ws);
    // Fill the filesystem, leaving less room than any record needs.
    const { bavail, bsize } = statfsSync(tiny ?? "");
    writeFileSync(filler, Buffer.alloc(Math.max(0, Number(bavail) * Number(bsize))));
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
    if (tiny) {
      spawnSync("umount", [tiny]);
      rmSync(tiny, { recursive: true, force: true });
    }
  });

  it("a call whose record cannot be written is refused with AUDIT_UNAVAILABLE and starts nothing", async () => {
    const before = readAudit(auditPath);
    await mcp.refused("spawn", { command: `sleep ${marker} ${padding}` }, "AUDIT_UNAVAILABLE");
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
    // No torn half-record was left behind: the log parses and is unchanged.
    expect(readAudit(auditPath)).toEqual(before);
  });

  it("the server keeps running, answers every call with AUDIT_UNAVAILABLE, and recovers when space returns", async () => {
    await mcp.refused("list_panes", { padding }, "AUDIT_UNAVAILABLE");
    await mcp.refused("spawn", { command: `rm -rf / ${padding}` }, "AUDIT_UNAVAILABLE");
    rmSync(filler);
    const { panes } = await mcp.ok<{ panes: unknown[] }>("list_panes");
    expect(panes).toEqual([]);
    const records = readAudit(auditPath);
    expect(records.at(-1)).toMatchObject({ tool: "list_panes", decision: "allow" });
    // The chain continues across the outage: consecutive sequence numbers, each linked to the one before.
    for (let i = 1; i < records.length; i++) {
      expect(records[i]?.seq).toBe((records[i - 1]?.seq as number) + 1);
      expect(records[i]?.prev).toBe(records[i - 1]?.hash);
    }
  });
});
