import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paneUserWarnings } from "../../src/cli/sandbox-setup.js";
import { compilePolicy } from "../../src/validation/policy-compile.js";

/**
 * A root server's unsandboxed panes run as `sandbox.user`: when that is a person's login account, the panes can
 * reach the person's own ccmux daemon, terminals and tmux (an attack review attached --write to a pane of that
 * person's daemon from one). serve and doctor say so.
 */
let ws: string;
beforeAll(() => {
  ws = mkdtempSync(join(tmpdir(), "ccmux-pane-user-"));
});
afterAll(() => rmSync(ws, { recursive: true, force: true }));

function warnings(mode: "off" | "auto" | "required", user: { uid: number; name: string }): string[] {
  const policy = compilePolicy(
    { workspace: ["."], commands: [], sandbox: { mode } },
    { baseDir: ws, serverPath: "/usr/bin:/bin", defaultAuditPath: "/var/tmp/a.jsonl" },
  );
  const pane = { ...user, gid: user.uid, home: `/home/${user.name}` };
  return paneUserWarnings(policy, pane).filter((line) => line.includes("login account"));
}

describe("a root server's pane user that is a person's login account (unsandboxed panes reach their daemon)", () => {
  it("is named when panes may run unsandboxed (mode off or auto)", () => {
    for (const mode of ["off", "auto"] as const) {
      const [line] = warnings(mode, { uid: 1000, name: "alice" });
      expect(line).toMatch(/panes run as alice \(uid 1000\), a login account/);
      expect(line).toMatch(/terminals, tmux and own ccmux daemon/);
    }
  });

  it("is not named for the sandbox required, nor for nobody or a system account", () => {
    expect(warnings("required", { uid: 1000, name: "alice" })).toEqual([]);
    expect(warnings("off", { uid: 65534, name: "nobody" })).toEqual([]);
    expect(warnings("off", { uid: 998, name: "ccmux-panes" })).toEqual([]);
  });
});
