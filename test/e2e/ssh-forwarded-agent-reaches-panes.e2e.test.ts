import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AS_ROOT, eventually, makeWorkspace, type Served } from "../support/mcp-harness.js";
import { serveOverSsh } from "../support/ssh-serve.js";
import { SSHD_UNAVAILABLE, startSshd, type TestSshd } from "../support/sshd.js";

// `ssh -A` (or ForwardAgent yes in ~/.ssh/config) hands the remote side a socket to the person's ssh agent:
// whoever can reach it signs in as the person anywhere their keys open. The README's form says `ssh -a`. ccmux
// never passes SSH_AUTH_SOCK to panes, but the socket itself lies in the remote /tmp (sshd's /tmp/ssh-*/agent.*):
// a sandboxed pane has a private /tmp; an unsandboxed pane of the same user finds it there.
const PERSON_KEY = `ccmux-person-key-${randomBytes(6).toString("hex")}`;
/** Typed into a remote bash pane: the variable, then every forwarded agent it can find and the keys it holds. */
const AGENT_PROBE =
  "echo sock=[$SSH_AUTH_SOCK]; for f in /tmp/ssh-*/agent.*; do SSH_AUTH_SOCK=$f ssh-add -l; done; echo probe-$((6*7))";

function policyFor(mode: "required" | "off") {
  return {
    commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
    // Listed on purpose: the variable is dropped even so (only env.passSecrets would pass it).
    env: { pass: ["PATH", "SSH_AUTH_SOCK"], fromAgent: [] },
    sandbox: { mode },
  };
}

describe.skipIf(SSHD_UNAVAILABLE)(
  `a forwarded ssh agent${SSHD_UNAVAILABLE ? ` (skipped: ${SSHD_UNAVAILABLE})` : ""}`,
  () => {
    let dir: string;
    let agent: ChildProcess;
    let agentSocket: string;
    let sshd: TestSshd;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "ccmux-agent-"));
      agentSocket = join(dir, "agent.sock");
      agent = spawn("ssh-agent", ["-D", "-a", agentSocket], { stdio: "ignore" });
      await eventually(() => existsSync(agentSocket));
      const key = join(dir, "person_ed25519");
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", PERSON_KEY, "-f", key]);
      execFileSync("ssh-add", ["-q", key], {
        env: { ...process.env, SSH_AUTH_SOCK: agentSocket },
        stdio: "ignore",
      });
      sshd = await startSshd({ allowAgentForwarding: true });
    });
    afterAll(async () => {
      await sshd?.stop();
      if (agent && agent.exitCode === null) {
        const exited = new Promise((resolveExit) => agent.once("exit", resolveExit));
        agent.kill("SIGTERM");
        await exited;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** What SSH_AUTH_SOCK the remote login gets with these ssh options. */
    const remoteSocket = (sshOptions: string[]) =>
      execFileSync("ssh", sshd.sshArgs(["sh", "-c", "echo [$SSH_AUTH_SOCK]"], sshOptions), {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", SSH_AUTH_SOCK: agentSocket },
        input: "",
        encoding: "utf8",
      }).trim();

    it("ssh -a (the documented form) gives the remote side no agent; control: -A does", () => {
      expect(remoteSocket([])).toBe("[]");
      expect(remoteSocket(["-A"])).toMatch(/^\[\/tmp\/ssh-[^/]+\/agent\.\d+\]$/);
    });

    describe.each(["required", "off"] as const)("sandbox.mode: %s, serve reached with ssh -A", (mode) => {
      // Under root, panes run as `nobody`, who cannot enter the login's 0700 /tmp/ssh-* even unsandboxed.
      const reachable = mode === "off" && !AS_ROOT;
      it(
        reachable
          ? "an unsandboxed pane of the login's user finds the agent socket in /tmp and lists the person's keys (documented risk: use ssh -a)"
          : "the pane gets no SSH_AUTH_SOCK and cannot reach the forwarded agent",
        async () => {
          const ws = makeWorkspace(policyFor(mode));
          let mcp: Served | undefined;
          try {
            mcp = await serveOverSsh(sshd, ws, {
              sshOptions: ["-A"],
              localEnv: { SSH_AUTH_SOCK: agentSocket },
            });
            const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
            await mcp.ok("send_keys", { pane, text: AGENT_PROBE, submit: true });
            await mcp.ok("wait_for", { pane, text: "probe-42", timeout_ms: 10_000 });
            const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
            expect(text).toContain("sock=[]");
            expect(text.includes(PERSON_KEY)).toBe(reachable);
            await mcp.ok("kill_pane", { pane });
          } finally {
            try {
              await mcp?.close();
            } finally {
              ws.cleanup();
            }
          }
        },
      );
    });
  },
);
