import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { EmbeddedPaneHost } from "../../src/panes/embedded/embedded-pane-host.js";
import { readStat } from "../../src/panes/process-session.js";
import { AS_ROOT } from "../support/mcp-harness.js";

/**
 * An attack review (high): a pane's first process exited and was reaped, and its pid became free. A person's daemon
 * then got that pid, left its session (setsid) and its leader exited, as double-forking daemons do: its processes sat
 * in a session whose id was the pane's old pid, with no process of that pid. The server took that session for the
 * pane's, and kill_pane, the process limit and the server's exit SIGKILLed the daemon's processes (root's, under a
 * root server). The reviewer moved the kernel's pid counter from inside a pane (threads, about 20 s); here root puts
 * the daemon on that pid directly (ns_last_pid), which needs root.
 */
const PLACE_DAEMON = `
import os, sys
target = int(sys.argv[1])
with open("/proc/sys/kernel/ns_last_pid", "w") as f:
    f.write(str(target - 1))
read_end, write_end = os.pipe()
child = os.fork()
if child == 0:
    if os.getpid() == target:
        os.setsid()
        daemon = os.fork()
        if daemon == 0:
            null = os.open("/dev/null", os.O_RDWR)
            for fd in (0, 1, 2, write_end):
                os.dup2(null, fd)
            os.execv("/bin/sleep", ["sleep", "30"])
        os.write(write_end, str(daemon).encode())
    os._exit(0)
os.close(write_end)
os.waitpid(child, 0)
print(child, os.read(read_end, 64).decode() or "0", flush=True)
`;
const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", TERM: "xterm-256color" };

let host: EmbeddedPaneHost | undefined;
const daemons: number[] = [];
afterEach(async () => {
  await host?.shutdown();
  host = undefined;
  for (const pid of daemons.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

describe.skipIf(!AS_ROOT)(
  "a session whose id is an exited pane's old pid (a person's daemon on that pid)",
  () => {
    it("is not the pane's: kill_pane leaves its processes alone", async () => {
      host = new EmbeddedPaneHost({ maxPanes: 8, maxExitedPanes: 8 });
      let placed: { pane: ReturnType<EmbeddedPaneHost["startPane"]>; daemon: number } | undefined;
      // Another process on the machine may take the pid first: try again with a new pane.
      for (let attempt = 0; attempt < 10 && placed === undefined; attempt++) {
        const pane = host.startPane({
          name: "t",
          argv: ["/bin/true"],
          cwd: "/",
          env: ENV,
          cols: 80,
          rows: 24,
          scrollback: 100,
          owner: { kind: "agent", session: "test" },
          input: "raw",
        });
        await pane.exited();
        const out = spawnSync("python3", ["-c", PLACE_DAEMON, String(pane.pid)], { encoding: "utf8" });
        expect(out.status, out.stderr).toBe(0);
        const [leader, daemon] = out.stdout.trim().split(" ").map(Number);
        if (leader !== pane.pid || !daemon) continue;
        daemons.push(daemon);
        if (readStat(daemon)?.session === pane.pid) placed = { pane, daemon };
      }
      if (!placed) throw new Error("could not put a daemon on an exited pane's pid in 10 tries");
      expect(readStat(placed.pane.pid), "no process has the pane's old pid").toBeUndefined();
      await placed.pane.kill("SIGKILL", 0);
      expect(readStat(placed.daemon)?.zombie, "the daemon's process lives").toBe(false);
    });
  },
);
