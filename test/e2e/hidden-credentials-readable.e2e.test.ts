import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
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
 * Issue 9 item 14: credentials the first default list missed — a MySQL option file, the containers registry
 * login, browser profiles (cookies are live sessions), a 1Password CLI config, a pip index password — read by
 * a pane's program. Each runs in an unsandboxed pane (the control: it reads them) and a sandboxed one.
 */
const SHELL = "bash --norc --noprofile";
const SECRETS: Record<string, string> = {
  ".my.cnf": "[client]\npassword=mysql-secret",
  ".config/containers/auth.json": '{"auths":{"r.example":{"auth":"cmVnLXNlY3JldA=="}}}',
  ".mozilla/firefox/p.default/cookies.sqlite": "firefox-cookie-secret",
  ".config/google-chrome/Default/Cookies": "chrome-cookie-secret",
  ".config/BraveSoftware/Brave-Browser/Default/Login Data": "brave-login-secret",
  ".config/op/config": "op-secret",
  ".config/pip/pip.conf": "[global]\nindex-url=https://u:pip-secret@pypi.example/simple",
};

for (const mode of ["off", "required"] as const) {
  const sandboxed = mode === "required";
  describe(`default hidden credentials: ${sandboxed ? "hidden in a sandboxed pane" : "readable in an unsandboxed pane (control)"}`, () => {
    let ws: TestWorkspace;
    let mcp: Served;
    let home: string;
    let pane: string;
    beforeAll(async () => {
      home = mkdtempSync("/var/tmp/ccmux-home-");
      for (const [path, text] of Object.entries(SECRETS)) {
        mkdirSync(dirname(join(home, path)), { recursive: true });
        writeFileSync(join(home, path), `${text}\n`);
      }
      ws = makeWorkspace({
        commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
        env: { pass: ["PATH", "HOME", "LANG"] },
        sandbox: { mode },
      });
      // The control's server is an ordinary user; a root server's sandboxed pane gets the files as its own,
      // so the sandbox alone hides them.
      if (mode !== "off") giveToPanes(home);
      mcp = await serveWorkspace(ws, { HOME: home }, mode === "off" ? unprivilegedServer(ws, home) : []);
      pane = (await mcp.ok<{ pane: string }>("spawn", { command: SHELL })).pane;
    });
    afterAll(async () => {
      await mcp?.close();
      ws?.cleanup();
      rmSync(home, { recursive: true, force: true });
    });

    it("reading a MySQL option file, a registry login, browser cookies and saved logins, a password manager's config", async () => {
      const paths = Object.keys(SECRETS);
      const text = await runInShell(
        mcp,
        pane,
        paths.map((path, i) => attack("read", `secret-${i}`, join(home, path))).join("; "),
      );
      for (const [i, path] of paths.entries()) {
        if (sandboxed) {
          expect(text).toMatch(new RegExp(`secret-${i}:(DENIED-|OK $)`, "m"));
          expect(text).not.toContain((SECRETS[path] ?? "").split("\n").at(-1));
        } else {
          expect(text).toContain(`secret-${i}:OK`);
        }
      }
    });
  });
}
