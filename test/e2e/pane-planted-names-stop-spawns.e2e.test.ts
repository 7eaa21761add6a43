import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planSpawn } from "../../src/panes/sandbox/mount-plan.js";
import { DEFAULT_AGENT_CONFIG, DEFAULT_READ_ONLY } from "../../src/validation/sandbox-paths.js";
import {
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
  textOf,
} from "../support/mcp-harness.js";
import { runInShell } from "../support/shell-pane.js";

/**
 * Issue 9 item 7: what a pane writes into the workspace must never make later spawns fail. The attack: a
 * directory whose name holds ESC, an OSC title sequence, a newline and a fake JSON line, with a `.git` symlink
 * inside; siblings: a symlink on a default-protected path at the root (.husky), a nested repository whose
 * config names the workspace root as hooksPath, and 2 000 repositories (bwrap's 9 000-argument limit). Before,
 * every later spawn failed with SANDBOX_UNAVAILABLE carrying the raw name, even after a restart.
 */
const SHELL = "bash --norc --noprofile";
// biome-ignore lint/suspicious/noControlCharactersInRegex: raw controls in what reaches the agent are the attack.
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe("a pane cannot stop later spawns with names, symlinks or floods it leaves in the workspace", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  const texts: string[] = [];
  const policy = {
    commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
    env: { pass: ["PATH", "HOME", "LANG"] },
    sandbox: { mode: "required" },
  };
  const results: Array<{ warnings?: string[] }> = [];
  const spawnShell = async (): Promise<string> => {
    const result = await mcp.call("spawn", { command: SHELL });
    results.push(result.structuredContent as { warnings?: string[] });
    texts.push(JSON.stringify(result));
    expect(result.isError, textOf(result)).toBeFalsy();
    const { pane, sandboxed } = result.structuredContent as { pane: string; sandboxed: boolean };
    expect(sandboxed).toBe(true);
    return pane;
  };

  beforeAll(async () => {
    ws = makeWorkspace(policy);
    mcp = await serveWorkspace(ws);
    const pane = await spawnShell();
    await runInShell(
      mcp,
      pane,
      [
        `d=$'x\\e]0;pwned\\a\\n{"fake":"json"}\\r'; mkdir "$d"; ln -s /etc "$d/.git"`,
        "ln -s /tmp .husky",
        "mkdir -p sub/.git; printf '[core]\\n\\thooksPath = ..\\n' > sub/.git/config",
        "mkdir -p n/{1..2000}/.git",
      ].join("; "),
    );
  }, 120_000);
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("the planted things are really there, and the plan reports them instead of failing (control)", () => {
    const odd = readdirSync(ws.root).find((name) => name.startsWith("x\u001b]0;pwned"));
    expect(odd).toBeDefined();
    expect(lstatSync(join(ws.root, odd as string, ".git")).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(ws.root, "n"))).toHaveLength(2000);
    const plan = planSpawn(
      {
        workspace: [ws.root],
        hide: [],
        readOnly: DEFAULT_READ_ONLY,
        agentConfig: DEFAULT_AGENT_CONFIG,
        alwaysHide: [],
        alwaysReadOnly: [],
        reveal: [],
        home: "/nonexistent",
      },
      [],
    );
    const warnings = plan.warnings.join("\n");
    expect(warnings).toContain("is a symlink");
    expect(warnings).toContain("hooksPath names the workspace root");
    expect(warnings).toContain("read-only protections were left out");
    expect(warnings).not.toMatch(RAW_CONTROL);
  });

  it("a later spawn starts a working sandboxed pane", async () => {
    const started = Date.now();
    const pane = await spawnShell();
    const spawnMs = Date.now() - started;
    const text = await runInShell(mcp, pane, "echo alive-$((40+2))");
    expect(text).toContain("alive-42");
    // Bounded mounts keep a spawn cheap even with 2 000 repositories (bwrap cost grows with the square).
    expect(spawnMs).toBeLessThan(10_000);
  });

  it("spawns still work after a server restart", async () => {
    await mcp.close();
    mcp = await serveWorkspace(ws);
    const pane = await spawnShell();
    expect(await runInShell(mcp, pane, "echo again-$((1+1))")).toContain("again-2");
  });

  it("the spawn result and its audit record report what was not protected, names escaped", () => {
    const warned = results.at(-1)?.warnings ?? [];
    expect(warned.join("\n")).toContain("is a symlink");
    expect(warned.join("\n")).toContain("\\u001b]0;pwned\\u0007\\n");
    const audited = readFileSync(ws.auditPath, "utf8")
      .split("\n")
      .filter((line) => line.includes('"sandboxWarnings"'));
    expect(audited.length).toBeGreaterThan(0);
  });

  it("no raw control character from the planted name reaches the agent, the server's log or the audit", () => {
    for (const text of texts) expect(text).not.toMatch(RAW_CONTROL);
    expect(mcp.stderr()).not.toContain("\u001b]0;pwned");
    expect(readFileSync(ws.auditPath, "utf8")).not.toMatch(RAW_CONTROL);
  });
});
