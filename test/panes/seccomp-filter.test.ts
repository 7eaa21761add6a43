import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCloseOnExec } from "../../src/panes/fd-flags.js";
import { PaneHost } from "../../src/panes/pane-host.js";
import { buildSeccompFilter } from "../../src/panes/sandbox/seccomp-filter.js";

const TIOCSTI = resolve(import.meta.dirname, "../fixtures/tiocsti.py");
const bwrapWorks =
  spawnSync("bwrap", ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "true"])
    .status === 0 && spawnSync("python3", ["-c", "import ctypes"]).status === 0;

describe("seccomp program encoding", () => {
  it("is a whole number of 8-byte sock_filter instructions ending in a return", () => {
    const program = buildSeccompFilter("x64");
    expect(program.length % 8).toBe(0);
    expect(program.length / 8).toBeLessThan(64);
    expect(program.readUInt16LE(program.length - 8)).toBe(0x06); // BPF_RET|BPF_K
  });

  it("checks the architecture first and knows arm64", () => {
    expect(buildSeccompFilter("x64").readUInt32LE(12)).toBe(0xc000003e);
    expect(buildSeccompFilter("arm64").readUInt32LE(12)).toBe(0xc00000b7);
    expect(() => buildSeccompFilter("ia32")).toThrow(/no seccomp syscall table/);
  });
});

describe.skipIf(!bwrapWorks)("seccomp program under real bubblewrap (needs bwrap and python3)", () => {
  let dir: string;
  let filterPath: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "ccmux-seccomp-"));
    filterPath = join(dir, "filter.bpf");
    writeFileSync(filterPath, buildSeccompFilter());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs argv inside bwrap on a real pty, with or without the filter, and returns what it printed. */
  async function inSandbox(argv: string[], withFilter: boolean): Promise<string> {
    const host = new PaneHost({ maxPanes: 2, maxExitedPanes: 2 });
    const fd = openSync(filterPath, "r");
    try {
      if (withFilter) setCloseOnExec(fd, false); // bwrap reads the program from an inherited descriptor
      const bwrap = [
        "/usr/bin/bwrap",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--unshare-pid",
      ];
      const pane = host.spawn({
        name: "sandboxed",
        argv: [...bwrap, "--die-with-parent", ...(withFilter ? ["--seccomp", String(fd)] : []), ...argv],
        cwd: dir,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "xterm-256color" },
        cols: 100,
        rows: 20,
        scrollback: 100,
        owner: { kind: "agent", connection: "test" },
        input: "raw",
      });
      closeSync(fd);
      await pane.exited();
      return await pane.scrollbackText();
    } finally {
      await host.shutdown();
    }
  }

  it.each(["plain", "high"])(
    "TIOCSTI keystroke injection (%s request) is refused with EPERM",
    async (mode) => {
      expect(await inSandbox(["python3", TIOCSTI, mode], false)).toContain("TIOCSTI-ALLOWED"); // control
      expect(await inSandbox(["python3", TIOCSTI, mode], true)).toContain("TIOCSTI-DENIED-EPERM");
    },
  );

  it.skipIf(process.arch !== "x64")(
    "kernel keyring, bpf, perf_event_open and userfaultfd answer EPERM",
    async () => {
      // x86-64 numbers; each prints its errno (0 on success).
      const calls = "keyctl:250:0,-3,0 bpf:321:0,0,0 perf:298:0,0,-1,-1,0 userfaultfd:323:0";
      const probe = [
        "python3",
        "-c",
        `import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nfor spec in "${calls}".split():\n    name, nr, args = spec.split(":")\n    r = libc.syscall(int(nr), *[ctypes.c_long(int(a)) for a in args.split(",")])\n    print(name + "=" + str(0 if r >= 0 else ctypes.get_errno()))`,
      ];
      const control = await inSandbox(probe, false);
      expect(control).toMatch(/keyctl=0/);
      expect(control).toMatch(/userfaultfd=0/);
      expect(control).not.toMatch(/(bpf|perf)=1\b/);
      const filtered = await inSandbox(probe, true);
      for (const name of ["keyctl", "bpf", "perf", "userfaultfd"])
        expect(filtered).toMatch(new RegExp(`${name}=1\\b`));
    },
  );

  it("new user namespaces are refused, ordinary programs still run", async () => {
    const probe = [
      "/usr/bin/bash",
      "-c",
      "unshare -U true && echo USERNS-CREATED || echo USERNS-REFUSED; ls / >/dev/null && echo LS-OK",
    ];
    expect(await inSandbox(probe, false)).toContain("USERNS-CREATED"); // control
    const filtered = await inSandbox(probe, true);
    expect(filtered).toContain("USERNS-REFUSED");
    expect(filtered).toContain("LS-OK");
  });
});
