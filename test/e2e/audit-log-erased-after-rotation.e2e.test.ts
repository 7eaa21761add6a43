import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";
import { runInShell } from "../support/shell-pane.js";

/**
 * A reviewer's attack: with the audit log in the workspace, a mount covered only the log file present when a
 * pane started. After a rotation the live log was a new file the pane could read (what the agent typed) and
 * truncate. A log directly in a workspace root is now refused; deeper, its whole directory is hidden.
 */
const SHELL = "bash --norc --noprofile";

function withAudit(ws: TestWorkspace, audit: Record<string, unknown>): void {
  const policy = JSON.parse(readFileSync(ws.policyPath, "utf8"));
  policy.audit = audit;
  policy.limits = { callsPerMinute: 100_000 };
  writeFileSync(ws.policyPath, JSON.stringify(policy));
}

describe("audit log erased after a rotation", () => {
  it("serve refuses a log directly in a workspace root while the sandbox is on", () => {
    const ws = makeWorkspace({ commands: [] });
    try {
      withAudit(ws, { path: join(ws.root, "audit.jsonl") });
      const run = spawnSync(process.execPath, [CLI, "serve", "--config", ws.policyPath], {
        input: "",
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: ws.dir, XDG_STATE_HOME: join(ws.dir, "s") },
        timeout: 20_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain("lies directly in workspace root");
    } finally {
      ws.cleanup();
    }
  });

  describe("a log in a directory of the workspace", () => {
    let ws: TestWorkspace;
    let mcp: Served;
    let pane: string;
    beforeAll(async () => {
      ws = makeWorkspace({ commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }] });
      withAudit(ws, {
        path: join(ws.root, "logs", "audit.jsonl"),
        maxBytes: 65_536,
        keep: 3,
        connectionBytesPerMinute: 100_000_000,
      });
      mcp = await serveWorkspace(ws);
      pane = (await mcp.ok<{ pane: string }>("spawn", { command: SHELL })).pane;
    });
    afterAll(async () => {
      await mcp?.close();
      ws?.cleanup();
    });

    it("after a rotation the running pane can neither read nor truncate the live log", async () => {
      const log = join(ws.root, "logs", "audit.jsonl");
      // Rotate: enough calls to pass 64 KiB.
      for (let i = 0; i < 5000 && !existsSync(`${log}.1`); i++) await mcp.ok("policy");
      expect(existsSync(`${log}.1`)).toBe(true);
      const text = await runInShell(
        mcp,
        pane,
        `tail -c 100 ${log}; : > ${log} && echo "TRUNCATED-$((40+2))"`,
      );
      expect(text).not.toContain("TRUNCATED-42");
      expect(text).not.toContain('"tool"');
      expect(readFileSync(log, "utf8")).toContain('"tool"');
      expect(mcp.stderr()).toContain(`its directory ${join(ws.root, "logs")} is hidden from panes`);
    });
  });
});
