import { execFileSync, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, readAudit, type Served, type TestWorkspace } from "../support/mcp-harness.js";
import {
  REMOTE_SERVE_FORMS,
  remoteServeCommand,
  remoteServePids,
  serveOverSsh,
  stopRemoteDaemon,
} from "../support/ssh-serve.js";
import { authorizedKeyCommand, SSHD_UNAVAILABLE, startSshd, type TestSshd } from "../support/sshd.js";

// The remote command is the client's choice: whoever holds the key that `claude mcp add … ssh HOST …` uses (a
// compromised laptop, an agent that edited .mcp.json) can ask the build box for a shell, or for ccmux with a
// wider policy. Pinning the key in the remote authorized_keys (`restrict,command="ccmux serve --config …"`)
// leaves the remote person's policy the only thing that key can run.
const REMOTE_POLICY = {
  commands: [{ command: "echo", args: ["**"] }],
  env: { pass: ["PATH"], fromAgent: [] },
};
const WIDER_POLICY = {
  commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
  env: { pass: ["PATH"], fromAgent: [] },
};
/** What an attacker asks the remote host to run instead of ccmux. */
const SHELL_COMMAND = ["sh", "-c", "echo pwned-$((6*7))"];

describe.skipIf(SSHD_UNAVAILABLE)(
  `ssh key pinned to ccmux serve${SSHD_UNAVAILABLE ? ` (skipped: ${SSHD_UNAVAILABLE})` : ""}`,
  () => {
    describe.each(REMOTE_SERVE_FORMS)("$form", ({ serveArgs, pending }) => {
      describe.skipIf(pending)(
        `remote ${serveArgs.join(" ") || "embedded"}${pending ? ` (${pending})` : ""}`,
        () => {
          let remote: TestWorkspace;
          let wider: TestWorkspace;
          let pinned: TestSshd;
          let open: TestSshd;
          let mcp: Served | undefined;

          beforeAll(async () => {
            remote = makeWorkspace(REMOTE_POLICY);
            wider = makeWorkspace(WIDER_POLICY);
            const command = authorizedKeyCommand(remoteServeCommand(remote, serveArgs));
            pinned = await startSshd({ keyOptions: `restrict,${command}` });
            // Control: the same key without options runs what the client asks.
            open = await startSshd();
          });
          afterAll(async () => {
            try {
              await mcp?.close();
            } finally {
              for (const ws of [remote, wider]) if (open && ws) stopRemoteDaemon(open, ws, serveArgs);
              await pinned?.stop();
              await open?.stop();
              remote?.cleanup();
              wider?.cleanup();
            }
          });

          it("a client asking for ccmux with a wider policy gets the remote person's policy", async () => {
            mcp = await serveOverSsh(pinned, wider, { serveArgs });
            const summary = await mcp.ok<{ workspace: string[] }>("policy");
            expect(summary.workspace).toEqual([remote.root]);
            await mcp.refused("spawn", { command: "bash --norc --noprofile" }, "COMMAND_NOT_ALLOWED");
            expect(readAudit(remote.auditPath).at(-1)).toMatchObject({
              tool: "spawn",
              decision: "deny",
              code: "COMMAND_NOT_ALLOWED",
            });
            expect(remoteServePids(wider.policyPath)).toEqual([]);
            await mcp.close();
            mcp = undefined;
          });

          it("control: without the pin, the same client gets the wider policy", async () => {
            mcp = await serveOverSsh(open, wider, { serveArgs });
            const summary = await mcp.ok<{ workspace: string[] }>("policy");
            expect(summary.workspace).toEqual([wider.root]);
            await mcp.close();
            mcp = undefined;
          });

          it("a client asking for a shell command gets ccmux serve instead (control: it runs unpinned)", () => {
            // stdin is closed at once: the pinned serve reads EOF and ends; the shell command prints its marker.
            const fromPinned = execFileSync("ssh", pinned.sshArgs(SHELL_COMMAND), {
              input: "",
              encoding: "utf8",
            });
            expect(fromPinned).not.toContain("pwned-42");
            const fromOpen = execFileSync("ssh", open.sshArgs(SHELL_COMMAND), {
              input: "",
              encoding: "utf8",
            });
            expect(fromOpen).toContain("pwned-42");
          });

          it("restrict refuses the terminal a client forces (-tt): ssh ends instead of serving through one", () => {
            const forced = spawnSync("ssh", pinned.sshArgs(["x"], ["-tt"]), { input: "", encoding: "utf8" });
            expect(forced.stderr).toContain("PTY allocation request failed");
            expect(forced.status).toBe(255);
            expect(forced.stdout).toBe("");
          });
        },
      );
    });
  },
);
