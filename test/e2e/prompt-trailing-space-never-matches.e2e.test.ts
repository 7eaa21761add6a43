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

// Issue 10, item 3: screen rows were right-trimmed, so `wait_for {text: ">>> "}` on a prompt that ends in a
// space ran to its timeout while the cursor sat right after the space, and reads showed the prompt without it.
const PROMPTS: [string, string][] = [
  ["python's", "printf '>>> '; read -r a; printf 'got=%s\\n' \"$a\"; printf '>>> '; read -r a"],
  ["a y/N question (read -p)", "read -r -p 'Continue? [y/N] ' a; printf 'answer=%s\\n' \"$a\"; read -r a"],
  [
    "a gap made by a cursor move",
    "printf 'bash-5.2#\\033[C'; read -r a; printf 'ran=%s\\n' \"$a\"; read -r a",
  ],
];
const SHOWN = [">>> ", "Continue? [y/N] ", "bash-5.2# "];

describe.each(["off", "required"] as const)("a prompt that ends in a space (sandbox %s)", (mode) => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["{path}"], input: "raw" }],
      sandbox: { mode },
    });
    for (const [i, [, script]] of PROMPTS.entries()) writeFileSync(join(ws.root, `prompt-${i}.sh`), script);
    giveToPanes(ws.root);
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  PROMPTS.forEach(([name], i) => {
    it(`${name} prompt can be waited for exactly as printed, and reads show its space`, async () => {
      const prompt = SHOWN[i] as string;
      const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: `bash prompt-${i}.sh` });
      const waited = await mcp.ok<{ matched: boolean }>("wait_for", {
        pane,
        text: prompt,
        timeout_ms: 15_000,
      });
      expect(waited.matched).toBe(true);
      for (const readMode of ["screen", "scrollback", "new"]) {
        const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: readMode });
        expect(text, readMode).toBe(prompt);
      }
      const { cursor } = await mcp.ok<{ cursor: { row: number; col: number } }>("read_pane", { pane });
      expect(cursor).toEqual({ row: 0, col: prompt.length });
      // Typing at the prompt: the answer joins the line, and the next line follows.
      await mcp.ok("send_keys", { pane, text: "y", submit: true });
      const answered = await mcp.ok<{ matched: boolean }>("wait_for", {
        pane,
        regex: "=y",
        timeout_ms: 15_000,
      });
      expect(answered.matched).toBe(true);
      const next = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "new" });
      expect(next.text.split("\n")[0]).toBe(`${prompt}y`);
      await mcp.ok("kill_pane", { pane });
    });
  });
});
