import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { addon } from "../../src/native/addon.js";

/**
 * execInPlace (native/fd-flags.c) replaces this process's image: the bridge uses it to start again with V8 flags
 * only a command line sets. What the new image must get is checked in a child Node that calls it: the same pid,
 * stdin/stdout/stderr (Node marks them close-on-exec), and no blocked signals (Node blocks some on its thread).
 */
const ADDON = new URL("../../dist/native/addon.js", import.meta.url).href;

describe("execInPlace", () => {
  it("the new image keeps the pid and stdio, and starts with no signal blocked", () => {
    const script = `
      import(${JSON.stringify(ADDON)}).then(({ addon }) => {
        console.log("before", process.pid);
        addon.execInPlace("/bin/sh", ["sh", "-c", 'echo "after $$"; read line; echo "read $line"; grep SigBlk /proc/self/status; echo err >&2']);
      });`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      input: "typed\n",
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const pid = /^before (\d+)$/m.exec(run.stdout)?.[1];
    expect(pid).toBeDefined();
    expect(run.stdout).toContain(`after ${pid}\n`);
    expect(run.stdout).toContain("read typed\n");
    expect(run.stdout).toMatch(/^SigBlk:\s+0+$/m);
    expect(run.stderr).toBe("err\n");
  });

  it("a failure throws EEXEC with errno's text, and this process goes on", () => {
    expect(() => addon.execInPlace("/nonexistent/program", ["program"])).toThrow(/No such file or directory/);
    expect(() => addon.execInPlace("/bin/true", [])).toThrow(/1 to 256 arguments/);
    expect(() => addon.execInPlace("/bin/true", ["true", "a\0b"])).toThrow(/without NUL/);
  });
});
