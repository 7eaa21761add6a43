import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";
import { attack, runInShell } from "../support/shell-pane.js";

/**
 * Issue 9, item 13: a pane without network opened AF_VSOCK sockets (host<->VM), which no network namespace
 * confines. Run through the real tools three ways: an unsandboxed pane (the control: the kernel lets it), and
 * sandboxed panes with and without network (the seccomp filter refuses every family outside unix, inet, inet6
 * and netlink with EAFNOSUPPORT, whatever the network setting).
 */
const SHELL = "bash --norc --noprofile";

const setups = [
  { title: "an unsandboxed pane (control)", sandbox: { mode: "off" }, refused: false },
  { title: "a sandboxed pane without network", sandbox: { mode: "required", network: false }, refused: true },
  { title: "a sandboxed pane with network", sandbox: { mode: "required", network: true }, refused: true },
] as const;

for (const setup of setups) {
  describe(`socket families from ${setup.title}`, () => {
    let ws: TestWorkspace;
    let mcp: Served;
    let pane: string;
    beforeAll(async () => {
      ws = makeWorkspace({
        commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
        sandbox: setup.sandbox,
      });
      mcp = await serveWorkspace(ws);
      const spawned = await mcp.ok<{ pane: string; sandboxed: boolean }>("spawn", { command: SHELL });
      expect(spawned.sandboxed).toBe(setup.sandbox.mode === "required");
      pane = spawned.pane;
    });
    afterAll(async () => {
      await mcp?.close();
      ws?.cleanup();
    });

    it("socket(AF_VSOCK) and bind reach the hypervisor's socket family", async () => {
      const text = await runInShell(mcp, pane, attack("socket", "vsock", "AF_VSOCK"));
      if (setup.refused) expect(text).toContain("vsock:DENIED-EAFNOSUPPORT");
      // The host kernel here has vsock; on one without, the kernel's own answer differs from ours anyway.
      else expect(text).toMatch(/vsock:(OK|DENIED-(?!EAFNOSUPPORT)\w+)/);
    });

    it("socketpair(AF_VSOCK), the sibling syscall", async () => {
      const text = await runInShell(mcp, pane, attack("socketpair", "vsock-pair", "AF_VSOCK"));
      if (setup.refused) expect(text).toContain("vsock-pair:DENIED-EAFNOSUPPORT");
      else expect(text).toMatch(/vsock-pair:(OK|DENIED-(?!EAFNOSUPPORT)\w+)/);
    });

    it("socket(AF_PACKET), raw link-layer frames", async () => {
      const text = await runInShell(mcp, pane, attack("socket", "packet", "AF_PACKET"));
      if (setup.refused) expect(text).toContain("packet:DENIED-EAFNOSUPPORT");
      else expect(text).toMatch(/packet:(OK|DENIED-(EPERM|EACCES))/);
    });

    it("unix, inet, inet6 and netlink sockets still open", async () => {
      const families = ["AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"];
      const text = await runInShell(
        mcp,
        pane,
        families.map((family) => attack("socket", `ok-${family}`, family)).join("; "),
      );
      // netlink opens as NETLINK_ROUTE (protocol 0), which every network namespace has.
      for (const family of families) expect(text).toContain(`ok-${family}:OK`);
    });
  });
}
