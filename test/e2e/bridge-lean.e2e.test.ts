import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { daemonFiles } from "../../src/daemon/daemon-files.js";
import { readInfo } from "../../src/daemon/info-file.js";
import { daemonFixture } from "../support/daemon-harness.js";
import { CLI, eventually } from "../support/mcp-harness.js";

/**
 * A bridge (`serve --daemon`) runs beside every MCP client, so its memory counts many times (issue 16):
 * - it tells whether the daemon enforces the policy file's bytes by comparing them with those the daemon's info
 *   file carries, and names the daemon's files without a hash, so node:crypto is never loaded; a policy too big to
 *   be carried is still told by its SHA-256;
 * - it runs without V8's JIT (--jitless), a flag only a command line gives: it executes itself again with it, in
 *   the same process.
 */
const BASH = { command: "bash", args: ["--norc --noprofile"], input: "raw" };

/**
 * Runs a bridge of `session` until it answered list_panes, and returns the built-in modules it loaded (a preload
 * writes process.moduleLoadList on SIGUSR2) with its stderr.
 */
async function bridgeModules(
  dir: string,
  policyPath: string,
  env: Record<string, string>,
  session: string,
): Promise<{ modules: string[]; stderr: string; pid: number; cmdline: string[] }> {
  const preload = join(dir, "module-list.mjs");
  const listing = join(dir, `modules-${session}.txt`);
  writeFileSync(
    preload,
    // Written whole, then renamed into place: the test reads it once it exists.
    [
      `import { renameSync, writeFileSync } from "node:fs";`,
      `process.on("SIGUSR2", () => {`,
      `  writeFileSync(${JSON.stringify(`${listing}.tmp`)}, process.moduleLoadList.join("\\n"));`,
      `  renameSync(${JSON.stringify(`${listing}.tmp`)}, ${JSON.stringify(listing)});`,
      `});`,
    ].join("\n"),
  );
  const child = spawn(
    process.execPath,
    ["--import", preload, CLI, "serve", "--daemon", "--session", session, "--config", policyPath],
    { env, stdio: ["pipe", "pipe", "pipe"] },
  );
  let out = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
  let pid = 0;
  let cmdline: string[] = [];
  try {
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } },
    });
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "list_panes", arguments: {} } });
    await eventually(() => out.includes('"id":2'), 30_000).catch(() => {
      throw new Error(`the bridge did not answer list_panes: ${stderr}`);
    });
    pid = child.pid as number;
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    child.kill("SIGUSR2");
    await eventually(() => existsSync(listing));
  } finally {
    child.stdin.end();
    // Its stderr is whole once it has exited (a pipe apart from stdout: read before, it may lag behind).
    if (child.exitCode === null) await new Promise((resolve) => child.once("close", resolve));
  }
  return { modules: readFileSync(listing, "utf8").split("\n"), stderr, pid, cmdline };
}

const loadsCrypto = (modules: string[]): boolean => modules.some((name) => /\bcrypto\b/.test(name));

describe("a lean bridge: no node:crypto, no JIT", () => {
  const fixture = daemonFixture();

  it("neither the bridge that starts the daemon nor one that joins it: the info file carries the policy's bytes", async () => {
    const { ws, daemons } = fixture.start({ commands: [BASH], sandbox: { mode: "off" } });
    const env = { ...daemons.env };
    const starting = await bridgeModules(ws.dir, ws.policyPath, env, "first");
    const joining = await bridgeModules(ws.dir, ws.policyPath, env, "second");
    for (const bridge of [starting, joining]) {
      expect(bridge.modules).toContain("NativeModule net");
      expect(loadsCrypto(bridge.modules), bridge.modules.join(" ")).toBe(false);
      expect(bridge.stderr).not.toMatch(/changed after the daemon/);
      // The process the client started serves, as the same pid, without the JIT, and V8 did not warn about it.
      expect(bridge.cmdline).toContain("--jitless");
      expect(bridge.stderr).toMatch(/serving MCP on stdio through the daemon/);
      expect(bridge.stderr).not.toMatch(/Warning|warning/);
      // node:v8 is needed only when the flags could not be given on the command line.
      expect(bridge.modules).not.toContain("NativeModule v8");
    }
    // The daemon it started runs with V8's JIT: it parses every pane's output.
    expect(readFileSync(`/proc/${daemons.daemonPid()}/cmdline`, "utf8").split("\0")).not.toContain(
      "--jitless",
    );
    const info = readInfo(daemonFiles(daemons.socketDir, ws.policyPath).info);
    expect(Buffer.from(info.policyBytes ?? "", "base64").equals(readFileSync(ws.policyPath))).toBe(true);
  });

  it("a policy edited after the daemon started is still told, without a hash", async () => {
    const { ws, daemons } = fixture.start({ commands: [BASH], sandbox: { mode: "off" } });
    const env = { ...daemons.env };
    await bridgeModules(ws.dir, ws.policyPath, env, "first");
    // The same policy, one byte more: only the bytes tell.
    writeFileSync(ws.policyPath, `${readFileSync(ws.policyPath, "utf8")}\n`);
    const edited = await bridgeModules(ws.dir, ws.policyPath, env, "second");
    expect(edited.stderr).toMatch(/changed after the daemon \(pid \d+\) started/);
  });

  it("a policy too big for the info file is told by its SHA-256 (control: crypto is loaded then)", async () => {
    const big = { ...BASH, description: "x".repeat(300 * 1024) };
    const { ws, daemons } = fixture.start({ commands: [big], sandbox: { mode: "off" } });
    const env = { ...daemons.env };
    const starting = await bridgeModules(ws.dir, ws.policyPath, env, "first");
    const info = readInfo(daemonFiles(daemons.socketDir, ws.policyPath).info);
    expect(info.policyBytes).toBeUndefined();
    expect(loadsCrypto(starting.modules)).toBe(true);
    expect(starting.stderr).not.toMatch(/changed after the daemon/);
    writeFileSync(ws.policyPath, `${readFileSync(ws.policyPath, "utf8")}\n`);
    const edited = await bridgeModules(ws.dir, ws.policyPath, env, "second");
    expect(edited.stderr).toMatch(/changed after the daemon \(pid \d+\) started/);
  });
});
