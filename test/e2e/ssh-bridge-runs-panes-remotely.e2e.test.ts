import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AS_ROOT,
  eventually,
  makeWorkspace,
  NOBODY,
  readAudit,
  type Served,
  type TestWorkspace,
} from "../support/mcp-harness.js";
import {
  REMOTE_SERVE_FORMS,
  remoteServeCommand,
  remoteServePids,
  serveOverSsh,
  stdinOf,
  stopRemoteDaemon,
} from "../support/ssh-serve.js";
import { SSHD_UNAVAILABLE, startSshd, type TestSshd } from "../support/sshd.js";

// `claude mcp add ccmux -- ssh HOST ccmux serve --config …`: the MCP client speaks to ssh's stdio, and the
// policy, sandbox, panes and audit log are all the remote side's. Here the remote side is a private sshd on
// 127.0.0.1, so the test can look at the remote files and processes too.
const POLICY = {
  commands: [
    { command: "bash", args: ["--norc --noprofile"], input: "raw" },
    { command: "cat", args: ["{path}"] },
  ],
  env: { pass: ["PATH", "LANG"], fromAgent: [] },
};

/** Prints what its stdin is: `pipe:[…]`, or `/dev/pts/N` in a terminal. */
const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "tty-probe", version: "0" },
  },
});
const STDIN_PROBE = [process.execPath, "-p", "require('node:fs').readlinkSync('/proc/self/fd/0')"];

describe.skipIf(SSHD_UNAVAILABLE)(
  `ccmux serve through a real ssh and sshd${SSHD_UNAVAILABLE ? ` (skipped: ${SSHD_UNAVAILABLE})` : ""}`,
  () => {
    describe.each(REMOTE_SERVE_FORMS)("$form", ({ serveArgs, pending }) => {
      describe.skipIf(pending)(
        `remote ${serveArgs.join(" ") || "embedded"}${pending ? ` (${pending})` : ""}`,
        () => {
          let sshd: TestSshd;
          let ws: TestWorkspace;
          let mcp: Served;

          beforeAll(async () => {
            sshd = await startSshd();
            ws = makeWorkspace(POLICY);
            writeFileSync(join(ws.root, "remote-notes.txt"), "written on the remote side\n");
            mcp = await serveOverSsh(sshd, ws, { serveArgs });
          });
          afterAll(async () => {
            try {
              await mcp?.close();
            } finally {
              if (sshd && ws) stopRemoteDaemon(sshd, ws, serveArgs);
              await sshd?.stop();
              ws?.cleanup();
            }
          });

          it("tools/list answers through ssh", async () => {
            const { tools } = await mcp.client.listTools();
            expect(tools.map((tool) => tool.name)).toEqual(
              expect.arrayContaining(["spawn", "wait_for", "read_pane", "kill_pane", "send_keys"]),
            );
            const spawn = tools.find((tool) => tool.name === "spawn");
            expect(spawn?.description).toContain(ws.root);
          });

          it("a pane runs on the remote host under the remote policy: spawn, wait_for, read_pane, kill_pane", async () => {
            const spawned = await mcp.ok<{ pane: string; cwd: string }>("spawn", {
              command: "bash --norc --noprofile",
            });
            expect(spawned.cwd).toBe(ws.root);
            // Computed by the remote shell, so the typed line itself never matches.
            await mcp.ok("send_keys", {
              pane: spawned.pane,
              text: "echo remote-$((6*7)) uid=$(id -u) notes=$(cat remote-notes.txt | wc -c)",
              submit: true,
            });
            const waited = await mcp.ok<{ matched: boolean }>("wait_for", {
              pane: spawned.pane,
              text: "remote-42",
              timeout_ms: 10_000,
            });
            expect(waited.matched).toBe(true);
            const { text } = await mcp.ok<{ text: string }>("read_pane", { pane: spawned.pane });
            // A root server runs panes as the workspace owner (`nobody` here), a user's server as that user.
            const paneUid = AS_ROOT ? NOBODY.uid : process.getuid?.();
            expect(text).toContain(`remote-42 uid=${paneUid} notes=27`);
            await mcp.ok("kill_pane", { pane: spawned.pane });
            const { panes } = await mcp.ok<{ panes: Array<{ pane: string; alive: boolean }> }>("list_panes");
            expect(panes.find((pane) => pane.pane === spawned.pane)?.alive ?? false).toBe(false);

            const records = readAudit(ws.auditPath).filter((record) =>
              JSON.stringify(record).includes(spawned.pane),
            );
            expect(records).toEqual(
              expect.arrayContaining([
                expect.objectContaining({ tool: "spawn", decision: "allow" }),
                expect.objectContaining({ tool: "send_keys", decision: "allow" }),
                expect.objectContaining({ tool: "kill_pane", decision: "allow" }),
              ]),
            );
          });

          it("a spawn the remote policy does not allow is refused there and lands in the remote audit log", async () => {
            await mcp.refused("spawn", { command: "cat /etc/passwd" }, "PATH_OUTSIDE_WORKSPACE");
            expect(readAudit(ws.auditPath).at(-1)).toMatchObject({
              tool: "spawn",
              decision: "deny",
              code: "PATH_OUTSIDE_WORKSPACE",
            });
            await mcp.refused("spawn", { command: "python3 -c 'print(1)'" }, "COMMAND_NOT_ALLOWED");
            expect(readAudit(ws.auditPath).at(-1)).toMatchObject({
              tool: "spawn",
              decision: "deny",
              code: "COMMAND_NOT_ALLOWED",
            });
          });

          it("the remote serve's stdin is a pipe, not a tty: ssh runs a command without one (-T)", async () => {
            const [pid, ...others] = remoteServePids(ws.policyPath);
            expect(others).toEqual([]);
            expect(stdinOf(pid as number)).toMatch(/^(pipe|socket):\[\d+\]$/);
            expect(execFileSync("ssh", sshd.sshArgs(STDIN_PROBE), { encoding: "utf8" }).trim()).toMatch(
              /^(pipe|socket):\[\d+\]$/,
            );
          });

          // An unprivileged sshd cannot hand out a terminal: it must chown the pty to the tty group.
          it.skipIf(!AS_ROOT)(
            "control: through ssh -tt the terminal echoes requests and merges stderr into the JSON-RPC stream",
            async () => {
              const withTty = execFileSync("ssh", sshd.sshArgs(STDIN_PROBE, ["-tt"]), { encoding: "utf8" });
              expect(withTty).toMatch(/^\/dev\/pts\/\d+\r\n$/);
              const served = spawn("ssh", sshd.sshArgs(remoteServeCommand(ws, serveArgs), ["-tt"]), {
                stdio: ["pipe", "pipe", "pipe"],
              });
              let out = "";
              served.stdout.on("data", (chunk: Buffer) => {
                out += chunk.toString();
              });
              try {
                served.stdin.write(`${INITIALIZE}\n`);
                await eventually(() => out.includes('"serverInfo"'));
                // The client reads its own request back, then the server's log line, then the answer; all in \r\n.
                expect(out.startsWith(`${INITIALIZE}\r\n`)).toBe(true);
                expect(out).toMatch(/^ccmux: /m);
              } finally {
                const exited = new Promise((resolveExit) => served.once("exit", resolveExit));
                served.kill("SIGTERM");
                await exited;
              }
              // sshd hangs up the terminal: that serve ends, the test's own stays.
              await eventually(() => remoteServePids(ws.policyPath).length === 1);
            },
          );

          it("closing the MCP client ends the remote serve (ssh closes its stdin)", async () => {
            expect(remoteServePids(ws.policyPath)).toHaveLength(1);
            await mcp.close();
            await eventually(() => remoteServePids(ws.policyPath).length === 0);
            expect(sshd.log()).toMatch(/Accepted publickey for \S+ from 127\.0\.0\.1/);
          });
        },
      );
    });
  },
);
