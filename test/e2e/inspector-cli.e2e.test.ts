import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOOL_NAMES } from "../../src/tools/tool-names.js";
import {
  CLI,
  giveToPanes,
  makeWorkspace,
  readAudit,
  serverPath,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * The MCP Inspector's CLI against the built server, as the README documents it: the server command after `--`,
 * because `--config` before it is the Inspector's own option. The Inspector needs Node ≥ 22.19; .ci/run
 * installs it with such a node and sets CCMUX_INSPECTOR (its `mcp-inspector` bin) and, when the suite itself
 * runs on an older node, CCMUX_INSPECTOR_NODE. Elsewhere the tests are skipped, saying why; on CI they must run.
 */
const INSPECTOR = process.env.CCMUX_INSPECTOR;
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const INSPECTOR_NODE =
  process.env.CCMUX_INSPECTOR_NODE ??
  (major > 22 || (major === 22 && minor >= 19) ? process.execPath : undefined);
const MISSING = !INSPECTOR
  ? "CCMUX_INSPECTOR is not set (.ci/run installs @modelcontextprotocol/inspector and sets it)"
  : !INSPECTOR_NODE
    ? `the Inspector needs Node >= 22.19, this is ${process.version} and CCMUX_INSPECTOR_NODE is not set`
    : undefined;
const SKIP = MISSING !== undefined && !process.env.CI;

let ws: TestWorkspace;

/** Runs `mcp-inspector --cli ARGS -- node dist/cli/main.js serve --config POLICY`; stdout parsed as JSON. */
function inspector(
  args: string[],
  serverCommand = ["--", process.execPath, CLI, "serve", "--config", ws.policyPath],
) {
  const run = spawnSync(INSPECTOR_NODE as string, [INSPECTOR as string, "--cli", ...args, ...serverCommand], {
    encoding: "utf8",
    timeout: 60_000,
    cwd: ws.dir,
    env: { PATH: serverPath(), HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8" },
  });
  return { ...run, json: () => JSON.parse(run.stdout) as Record<string, unknown> };
}

describe.skipIf(SKIP)(
  `the MCP Inspector's CLI drives ccmux serve${SKIP ? ` (skipped: ${MISSING})` : ""}`,
  () => {
    beforeAll(() => {
      // CI must not pass by skipping the client the README promises ccmux works with.
      if (MISSING) throw new Error(`CI must run the Inspector test: ${MISSING}`);
      ws = makeWorkspace({ commands: [{ command: "echo", args: ["**"] }] });
      giveToPanes(ws.root);
    });
    afterAll(() => ws?.cleanup());

    it("tools/list, with the server command after --, lists ccmux's tools", () => {
      const run = inspector(["--method", "tools/list"]);
      expect(run.status, run.stderr).toBe(0);
      const names = (run.json().tools as Array<{ name: string }>).map((tool) => tool.name);
      expect([...names].sort()).toEqual([...TOOL_NAMES].sort());
    });

    it("tools/call spawn runs echo in a pane, and the call is in the audit log", () => {
      const run = inspector([
        "--method",
        "tools/call",
        "--tool-name",
        "spawn",
        "--tool-arg",
        "command=echo from the Inspector",
      ]);
      expect(run.status, run.stderr).toBe(0);
      const result = run.json() as { isError?: boolean; structuredContent: { pane: string; argv: string[] } };
      expect(result.isError ?? false).toBe(false);
      expect(result.structuredContent.argv.slice(1)).toEqual(["from", "the", "Inspector"]);
      const spawned = readAudit(ws.auditPath).filter((r) => r.tool === "spawn" && r.decision === "allow");
      expect(spawned.some((r) => JSON.stringify(r).includes(result.structuredContent.pane))).toBe(true);
    });

    it("tools/call of a refused command answers the refusal with its code", () => {
      const run = inspector([
        "--method",
        "tools/call",
        "--tool-name",
        "spawn",
        "--tool-arg",
        "command=rm -rf .",
      ]);
      const result = run.json() as { isError?: boolean; content: Array<{ text: string }> };
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toMatch(/^COMMAND_NOT_ALLOWED:/);
    });

    it("--config before -- is the Inspector's own option, not the server's (control)", () => {
      const run = inspector(
        ["--method", "tools/list"],
        [process.execPath, CLI, "serve", "--config", ws.policyPath],
      );
      expect(`${run.stdout}${run.stderr}`).toContain("--config cannot be combined");
    });
  },
);
