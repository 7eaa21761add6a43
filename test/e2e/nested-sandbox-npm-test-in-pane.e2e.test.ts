import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAUNCHER_IN_SANDBOX } from "../../src/panes/sandbox/bwrap-args.js";
import {
  giveToPanes,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
  textOf,
} from "../support/mcp-harness.js";

/**
 * Issue 11, nested sandboxes: the example policy's own `npm test` failed in a pane. A pane's sandbox refuses
 * new user namespaces (seccomp), so the bubblewrap the end-to-end suites start cannot build a sandbox there,
 * and only the workspace and /tmp are writable. The suite now knows when it runs in a pane's sandbox, leaves
 * those files out and says so; the pane's sandbox keeps refusing user namespaces.
 */
const REPO = resolve(import.meta.dirname, "../..");
const EXAMPLE = JSON.parse(readFileSync(join(REPO, "examples/ccmux.json"), "utf8")) as Record<
  string,
  unknown
>;
const bwrapWorks = spawnSync("bwrap", ["--ro-bind", "/", "/", "true"]).status === 0;

/** The example policy with the workspace a copy of this repository (as the example's `..` names it). */
function exampleWorkspace(): TestWorkspace {
  const ws = makeWorkspace({});
  const policy = JSON.parse(readFileSync(ws.policyPath, "utf8")) as Record<string, unknown>;
  const { $schema: _schema, ...example } = EXAMPLE;
  writeFileSync(
    ws.policyPath,
    JSON.stringify({
      ...example,
      workspace: policy.workspace,
      audit: policy.audit,
      anomalies: policy.anomalies,
    }),
  );
  return ws;
}

/** Left out of the copy: rebuilt in the pane (dist), or not part of the tree a person works in. */
const NOT_COPIED = new Set(["node_modules", "dist", ".git", "coverage", ".vitest-tmp"]);

/** This working tree as a person has it: sources as they are now, the built addon, installed node_modules. */
function copyRepository(to: string): void {
  cpSync(REPO, to, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => source === REPO || !NOT_COPIED.has(relative(REPO, source).split(sep)[0] ?? ""),
  });
  cpSync(realpathSync(join(REPO, "node_modules")), join(to, "node_modules"), {
    recursive: true,
    verbatimSymlinks: true,
  });
  giveToPanes(to);
}

/**
 * wait_for that may take minutes: the MCP client's own request timeout (60 s by default) is lifted to the wait's,
 * so a machine busy enough to make the pane's build slow fails on the wait's verdict, not on the client's clock.
 */
async function longWait<T>(
  served: Served,
  args: { timeout_ms: number } & Record<string, unknown>,
): Promise<T> {
  const result = (await served.client.callTool({ name: "wait_for", arguments: args }, undefined, {
    timeout: args.timeout_ms + 30_000,
  })) as CallToolResult;
  if (result.isError) throw new Error(`wait_for failed: ${textOf(result)}`);
  return result.structuredContent as T;
}

/** Types `line` into a bash pane and returns what it printed up to the marker. */
async function run(mcp: Served, pane: string, line: string): Promise<string> {
  const marker = `done-${Math.random().toString(36).slice(2)}`;
  await mcp.ok("send_keys", { pane, text: `${line}; echo ${marker}-$?`, submit: true });
  const waited = await mcp.ok<{ matched: boolean }>("wait_for", {
    pane,
    regex: `${marker}-\\d+`,
    timeout_ms: 20_000,
  });
  expect(waited.matched).toBe(true);
  const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback", lines: 50 });
  return text;
}

describe.skipIf(!bwrapWorks)("the example policy's npm test in a sandboxed pane (needs bubblewrap)", () => {
  let ws: TestWorkspace;
  let mcp: Served | undefined;
  beforeAll(async () => {
    ws = exampleWorkspace();
    copyRepository(ws.root);
    mcp = await serveWorkspace(ws);
  }, 180_000);
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("control: the pane's sandbox still refuses a new user namespace, so bubblewrap cannot nest", async () => {
    const served = mcp as Served;
    const { pane } = await served.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
    const text = await run(served, pane, "unshare -U true; bwrap --ro-bind / / true; echo userns=$?");
    expect(text).toMatch(/unshare: unshare failed: Operation not permitted/);
    expect(text).toMatch(/userns=1/);
    await served.ok("kill_pane", { pane });
  });

  it("`npm test`, as the example allows it, reaches a verdict: passed, with the host-only files named as skipped", async () => {
    const served = mcp as Served;
    const { pane, sandboxed } = await served.ok<{ pane: string; sandboxed: boolean }>("spawn", {
      command: "npm test",
    });
    expect(sandboxed).toBe(true);
    const note = await longWait<{ matched: boolean }>(served, {
      pane,
      text: "Skipped: test/e2e/**",
      timeout_ms: 240_000,
    });
    expect(note.matched).toBe(true);
    const end = await longWait<{ reason: string; exitCode: number | null }>(served, {
      pane,
      exit: true,
      timeout_ms: 300_000,
    });
    const { text } = await served.ok<{ text: string }>("read_pane", { pane, mode: "scrollback", lines: 30 });
    expect(end.reason, text).toBe("exited");
    expect(text).toMatch(/Test Files\s+\d+ passed \(\d+\)/);
    expect(text).not.toMatch(/(Test Files|Tests)\s.*failed/);
    expect(end.exitCode, text).toBe(0);
  }, 600_000);
});

describe.each([
  ["required", true],
  ["off", false],
] as const)("the suite's marker of a pane sandbox (sandbox %s)", (mode, present) => {
  let ws: TestWorkspace;
  beforeAll(() => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode },
    });
  });
  afterAll(() => ws?.cleanup());

  it.skipIf(mode === "required" && !bwrapWorks)(
    `${LAUNCHER_IN_SANDBOX} ${present ? "is there" : "is not there"}: the suite ${present ? "leaves the host-only files out" : "runs whole"}`,
    async () => {
      const mcp = await serveWorkspace(ws);
      try {
        const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
        const text = await run(mcp, pane, `test -e ${LAUNCHER_IN_SANDBOX}; echo marker=$?`);
        expect(text).toContain(`marker=${present ? 0 : 1}`);
      } finally {
        await mcp.close();
      }
    },
  );
});
