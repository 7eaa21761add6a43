import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served } from "../support/mcp-harness.js";
import {
  REMOTE_SERVE_FORMS,
  type SshServeOptions,
  serveOverSsh,
  stopRemoteDaemon,
} from "../support/ssh-serve.js";
import { SSHD_UNAVAILABLE, startSshd, type TestSshd } from "../support/sshd.js";

// The person's shell that starts Claude Code holds cloud keys and tokens; the ssh client inherits them. They
// must not reach panes on the remote host. ssh sends variables only by SendEnv/SetEnv, and sshd takes only what
// AcceptEnv names (none here; Debian's own sshd_config accepts LANG LC_*, and Debian's ssh_config sends them).
const CANARY = `ccmux-ssh-canary-${randomBytes(6).toString("hex")}`;
const LOCAL_SECRETS = {
  AWS_SECRET_ACCESS_KEY: `${CANARY}-aws`,
  GITHUB_TOKEN: `${CANARY}-github`,
  LC_CCMUX_CANARY: `${CANARY}-lc`,
};
/** Set on the remote side, by the remote command: proves the probe shows a variable that did arrive. */
const REMOTE_VISIBLE = `ccmux-ssh-remote-${randomBytes(6).toString("hex")}`;

/** Client options that send every canary, as a careless ~/.ssh/config would (Debian's default: LANG LC_*). */
const SEND_EVERYTHING = [
  ...["LANG", "LC_*", "AWS_*", "GITHUB_*"].flatMap((pattern) => ["-o", `SendEnv=${pattern}`]),
  // A sibling: SetEnv sends a value named on the command line rather than taken from the environment.
  ...["-o", `SetEnv=LC_CCMUX_SETENV=${CANARY}-setenv`],
];

/**
 * The remote policy passes every canary name through, secret-looking ones included, so that a canary missing
 * from the pane shows sshd did not forward it, not that the policy filtered it.
 */
function policyFor(mode: "required" | "off") {
  return {
    commands: [{ command: "env", args: [""] }],
    env: {
      pass: ["PATH", "LANG", "LC_CCMUX_CANARY", "LC_CCMUX_SETENV", "LC_CCMUX_REMOTE"],
      passSecrets: ["AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"],
      fromAgent: [],
    },
    sandbox: { mode },
  };
}

/** Runs `env` in a pane of a fresh remote server (own policy, so a daemon form gets its own daemon). */
async function remotePaneEnv(
  sshd: TestSshd,
  mode: "required" | "off",
  serveArgs: string[],
  options: SshServeOptions,
): Promise<string> {
  const ws = makeWorkspace(policyFor(mode));
  let mcp: Served | undefined;
  try {
    mcp = await serveOverSsh(sshd, ws, {
      ...options,
      serveArgs,
      remoteEnv: { LC_CCMUX_REMOTE: REMOTE_VISIBLE },
      localEnv: LOCAL_SECRETS,
    });
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "env" });
    await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
    return (await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" })).text;
  } finally {
    try {
      await mcp?.close();
    } finally {
      stopRemoteDaemon(sshd, ws, serveArgs);
      ws.cleanup();
    }
  }
}

describe.skipIf(SSHD_UNAVAILABLE)(
  `local secrets and ssh${SSHD_UNAVAILABLE ? ` (skipped: ${SSHD_UNAVAILABLE})` : ""}`,
  () => {
    describe.each(REMOTE_SERVE_FORMS)("$form", ({ serveArgs, pending }) => {
      describe.skipIf(pending)(
        `remote ${serveArgs.join(" ") || "embedded"}${pending ? ` (${pending})` : ""}`,
        () => {
          describe.each(["required", "off"] as const)("sandbox.mode: %s", (mode) => {
            let sshd: TestSshd;
            let accepting: TestSshd;
            beforeAll(async () => {
              sshd = await startSshd();
              // Control: an sshd that accepts the canaries' names, as a loose AcceptEnv would.
              accepting = await startSshd({ acceptEnv: ["LC_*", "AWS_*", "GITHUB_*"] });
            });
            afterAll(async () => {
              await sshd?.stop();
              await accepting?.stop();
            });

            it("no local secret reaches a remote pane (ssh -F /dev/null); a variable set remotely does", async () => {
              const text = await remotePaneEnv(sshd, mode, serveArgs, {});
              expect(text).toContain(`LC_CCMUX_REMOTE=${REMOTE_VISIBLE}`);
              expect(text).not.toContain(CANARY);
            });

            it("Debian's SendEnv LANG LC_*, SendEnv AWS_* GITHUB_* and SetEnv are dropped by sshd without AcceptEnv", async () => {
              const text = await remotePaneEnv(sshd, mode, serveArgs, { sshOptions: SEND_EVERYTHING });
              expect(text).toContain(`LC_CCMUX_REMOTE=${REMOTE_VISIBLE}`);
              expect(text).not.toContain(CANARY);
            });

            it("control: an sshd with AcceptEnv LC_* AWS_* GITHUB_* hands every sent canary to the pane", async () => {
              const text = await remotePaneEnv(accepting, mode, serveArgs, { sshOptions: SEND_EVERYTHING });
              for (const [name, value] of Object.entries(LOCAL_SECRETS))
                expect(text).toContain(`${name}=${value}`);
              expect(text).toContain(`LC_CCMUX_SETENV=${CANARY}-setenv`);
            });
          });
        },
      );
    });
  },
);
