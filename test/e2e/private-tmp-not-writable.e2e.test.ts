import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  giveToPanes,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

// Found by a reviewer attacking issue 10's build: under a root server a sandboxed pane runs as an unprivileged
// user, and bwrap made its private /tmp root's and 0755, so `touch /tmp/x` failed and tools needing a
// temporary directory broke.
const PROBE =
  'f=$(mktemp /tmp/ccmux-probe.XXXXXX) && echo written > "$f" && cat "$f" && rm "$f" && echo TMP-OK\n';

describe.each(["off", "required"] as const)("a pane can write its /tmp (sandbox %s)", (mode) => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({ commands: [{ command: "sh", args: ["{path}"] }], sandbox: { mode } });
    writeFileSync(join(ws.root, "tmp.sh"), PROBE);
    giveToPanes(join(ws.root, "tmp.sh"));
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  it("mktemp in /tmp, write, read back and remove", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "sh tmp.sh" });
    const end = await mcp.ok<{ exitCode: number | null; text: string }>("wait_for", {
      pane,
      exit: true,
      timeout_ms: 15_000,
      return: "screen",
    });
    expect(end.text).toContain("TMP-OK");
    expect(end.exitCode).toBe(0);
  });
});
