import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI,
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * Issue 10 item 9: the policy fixes variables for panes (`env.set`, values chosen by the person). They reach
 * every pane; the agent can neither override them nor the pager defaults (GIT_PAGER=sh -c …), nor learn the
 * person's values from the policy tool; a token among them is redacted in the audit log.
 */
const TOKEN = "tok-fixed-by-the-person-8c1f2a77";

const POLICY = {
  commands: [
    { command: "printenv", args: ["*"] },
    { command: "echo", args: ["**"] },
  ],
  env: {
    pass: ["PATH", "HOME", "LANG"],
    fromAgent: ["CCMUX_AGENT_NOTE"],
    set: { CCMUX_FIXED: "person-value", DEPLOY_TOKEN: TOKEN, PAGER: "more" },
  },
  panes: [{ name: "fixed-env", command: "printenv CCMUX_FIXED", access: "read" }],
};

describe.each(["required", "off"] as const)("env.set, sandbox %s", (mode) => {
  let ws: TestWorkspace;
  let mcp: Served;

  beforeAll(async () => {
    ws = makeWorkspace({ ...POLICY, sandbox: { mode } });
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  /** Spawns `printenv NAME` (with the agent's `env`) and returns what it printed. */
  async function printenv(name: string, env?: Record<string, string>): Promise<string> {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", {
      command: `printenv ${name}`,
      ...(env ? { env } : {}),
    });
    const done = await mcp.ok<{ matched: boolean }>("wait_for", { pane, exit: true, timeout_ms: 20_000 });
    expect(done.matched).toBe(true);
    return (await mcp.ok<{ text: string }>("read_pane", { pane })).text.trim();
  }

  it("a fixed variable reaches an agent pane", async () => {
    expect(await printenv("CCMUX_FIXED")).toBe("person-value");
  });

  it("a fixed variable reaches a person pane", async () => {
    const { panes } = await mcp.ok<{ panes: Array<{ pane: string; name: string }> }>("list_panes");
    const pane = panes.find((p) => p.name === "fixed-env")?.pane;
    expect(pane).toBeDefined();
    await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 20_000 });
    expect((await mcp.ok<{ text: string }>("read_pane", { pane })).text.trim()).toBe("person-value");
  });

  it("env.set chooses the pager; the default it does not name stays", async () => {
    expect(await printenv("PAGER")).toBe("more");
    expect(await printenv("GIT_PAGER")).toBe("cat");
  });

  it("control: a variable the policy lets the agent set does reach the pane", async () => {
    expect(await printenv("CCMUX_AGENT_NOTE", { CCMUX_AGENT_NOTE: "from-agent" })).toBe("from-agent");
  });

  it.each([
    ["the person's variable", "CCMUX_FIXED", "agent-value"],
    ["GIT_PAGER, to run a program", "GIT_PAGER", "sh -c 'touch pwned-git-pager'"],
    ["PAGER, to run a program", "PAGER", "sh -c 'touch pwned-pager'"],
    ["GH_PAGER, a sibling", "GH_PAGER", "sh -c 'touch pwned-gh-pager'"],
    ["LD_PRELOAD", "LD_PRELOAD", "/tmp/evil.so"],
    ["BASH_ENV", "BASH_ENV", "./evil.sh"],
  ])("the agent cannot override %s: ENV_NOT_ALLOWED, audited by name", async (_what, name, value) => {
    const text = await mcp.refused(
      "spawn",
      { command: `printenv ${name}`, env: { CCMUX_AGENT_NOTE: "x", [name]: value } },
      "ENV_NOT_ALLOWED",
    );
    expect(text).toContain(name);
    const denial = readAudit(ws.auditPath)
      .filter((r) => r.tool === "spawn" && r.decision === "deny")
      .at(-1);
    expect(JSON.stringify(denial)).toContain("ENV_NOT_ALLOWED");
    expect(existsSync(join(ws.root, "pwned-git-pager"))).toBe(false);
  });

  it("the policy tool and spawn's description name the fixed variables, never their values", async () => {
    const result = await mcp.call("policy");
    const summary = result.structuredContent as { envSet: string[]; envDefaults: Record<string, string> };
    expect(summary.envSet).toEqual(["CCMUX_FIXED", "DEPLOY_TOKEN", "PAGER"]);
    expect(summary.envDefaults).toEqual({ GIT_PAGER: "cat" });
    const { tools } = await mcp.client.listTools();
    const spawn = tools.find((tool) => tool.name === "spawn")?.description ?? "";
    expect(spawn).toContain("CCMUX_FIXED, DEPLOY_TOKEN, PAGER");
    const shown = `${JSON.stringify(result)}\n${JSON.stringify(tools)}`;
    expect(shown).not.toContain(TOKEN);
    expect(shown).not.toContain("person-value");
    expect(shown).not.toContain("PAGER=more");
  });

  it("a fixed token the agent reads in a pane and types back is redacted in the audit log", async () => {
    expect(await printenv("DEPLOY_TOKEN")).toBe(TOKEN);
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: `echo ${TOKEN} kept-text` });
    await mcp.ok("wait_for", { pane, exit: true, timeout_ms: 20_000 });
    const log = readFileSync(ws.auditPath, "utf8");
    expect(log).toContain("kept-text");
    expect(log).not.toContain(TOKEN);
    expect(log).toContain("[REDACTED]");
  });
});

describe("a bad env.set is refused when the server starts", () => {
  it.each([
    ["a NUL in a value", { A: `${TOKEN}\u0000LD_PRELOAD=/x` }, "env.set.A: the value of A contains NUL"],
    ["a name that is no variable name", { "BAD-NAME": TOKEN }, "env.set.BAD-NAME: not a variable name"],
    ["TERM", { TERM: TOKEN }, "env.set.TERM: TERM is decided by ccmux"],
    ["a name the agent may set too", { CCMUX_AGENT_NOTE: TOKEN }, "also in env.fromAgent"],
    ["an oversize value", { A: TOKEN.repeat(1100) }, "env.set.A: the value of A is longer than 32768"],
  ])("%s: serve exits 2 and says where, never echoing the value", (_what, set, message) => {
    const ws = makeWorkspace({ ...POLICY, env: { ...POLICY.env, set } });
    try {
      const run = spawnSync(process.execPath, [CLI, "serve", "--config", ws.policyPath], {
        cwd: ws.dir,
        env: { PATH: process.env.PATH, HOME: ws.dir, XDG_STATE_HOME: join(ws.dir, "xdg-state") },
        input: "",
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(
        "the policy does not validate; every tool call is refused with POLICY_INVALID",
      );
      expect(run.stderr).toContain(message);
      expect(run.stderr).not.toContain(TOKEN);
    } finally {
      ws.cleanup();
    }
  });
});
