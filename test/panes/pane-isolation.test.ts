import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EmbeddedPaneHost } from "../../src/panes/embedded/embedded-pane-host.js";
import type { Pane } from "../../src/panes/embedded/pane.js";
import { waitForOutput } from "../../src/panes/embedded/wait-for-output.js";
import { setCloseOnExec } from "../../src/panes/fd-flags.js";

const NEIGHBOUR = resolve(import.meta.dirname, "../fixtures/write-inherited-fds.sh");
const spec = (argv: string[]) => ({
  name: "t",
  argv,
  cwd: process.cwd(),
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "xterm-256color" },
  cols: 100,
  rows: 30,
  scrollback: 1000,
  owner: { kind: "agent" as const, session: "test" },
  input: "raw" as const,
});

/** Starts a victim shell, lets a neighbour pane write into every descriptor it inherited, reports what the victim saw. */
async function attack(host: EmbeddedPaneHost, beforeNeighbour: (victim: Pane) => void): Promise<string> {
  const victim = host.startPane(spec(["/usr/bin/bash", "--norc", "--noprofile"]));
  victim.write("echo victim-ready\r");
  expect(await waitForOutput(victim, { query: { regex: "^victim-ready$" }, timeoutMs: 10_000 })).toBe(
    "matched",
  );
  beforeNeighbour(victim);
  const neighbour = host.startPane(spec(["/usr/bin/bash", NEIGHBOUR]));
  await neighbour.exited();
  expect(await neighbour.scrollbackText()).toContain("neighbour-done");
  // A marker typed after the attack: once it shows, anything injected before it has been processed too.
  victim.write("echo victim-after\r");
  await waitForOutput(victim, { query: { regex: "^victim-after$" }, timeoutMs: 10_000 });
  return victim.scrollbackText();
}

describe("pane isolation: inherited descriptors", () => {
  let host: EmbeddedPaneHost | undefined;
  afterEach(async () => {
    await host?.shutdown();
  });

  it("control: a neighbour holding the victim's pty master can type into it (the hole, reopened on purpose)", async () => {
    host = new EmbeddedPaneHost({ maxPanes: 4, maxExitedPanes: 4 });
    const text = await attack(host, (victim) => {
      const fd = (victim as unknown as { process: { pty: { _fd: number } } }).process.pty._fd;
      setCloseOnExec(fd, false);
    });
    expect(text).toMatch(/^INJECTED-BY-NEIGHBOUR$/m);
  });

  it("cross-pane input injection through an inherited pty master fails", async () => {
    host = new EmbeddedPaneHost({ maxPanes: 4, maxExitedPanes: 4 });
    const text = await attack(host, () => {});
    expect(text).not.toContain("INJECTED-BY-NEIGHBOUR");
    expect(text).toMatch(/^victim-after$/m);
  });
});
