import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedPaneHost } from "../../src/panes/embedded/embedded-pane-host.js";
import { setCloseOnExec } from "../../src/panes/fd-flags.js";
import { ARCHES, buildSeccompFilter } from "../../src/panes/sandbox/seccomp-filter.js";

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

/**
 * Runs a classic BPF seccomp program (the subset the generator emits: LD|W|ABS, JEQ/JGE/JSET|K, RET|K) on one
 * struct seccomp_data and returns the action, as the kernel would.
 */
function runFilter(program: Buffer, data: { arch: number; nr: number; args?: readonly bigint[] }): number {
  const field = (offset: number): number => {
    if (offset === 0) return data.nr >>> 0;
    if (offset === 4) return data.arch >>> 0;
    const index = (offset - 16) >> 3;
    const value = BigInt.asUintN(64, data.args?.[index] ?? 0n);
    return Number(offset % 8 === 0 ? value & 0xffffffffn : value >> 32n);
  };
  let acc = 0;
  for (let pc = 0; pc < program.length / 8; ) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) acc = field(k);
    else if (code === 0x06) return k;
    else if (code === 0x15) pc += acc === k ? jt : jf;
    else if (code === 0x35) pc += acc >= k ? jt : jf;
    else if (code === 0x45) pc += (acc & k) !== 0 ? jt : jf;
    else throw new Error(`unexpected opcode ${code}`);
    pc += 1;
  }
  throw new Error("fell off the end of the program");
}

const ALLOW = 0x7fff0000;
const EAFNOSUPPORT = 0x00050000 | 97;
const KILL_PROCESS = 0x80000000;

describe("socket address families (issue 9: AF_VSOCK out of a network-less pane)", () => {
  for (const arch of ["x64", "arm64"] as const) {
    const table = ARCHES[arch];
    const program = buildSeccompFilter(arch);
    const call = (nr: number, family: bigint): number =>
      runFilter(program, { arch: table.audit, nr, args: [family] });

    it(`${arch}: unix, inet, inet6 and netlink sockets are allowed, by socket and socketpair`, () => {
      for (const family of [1n, 2n, 10n, 16n]) {
        expect(call(table.socket, family)).toBe(ALLOW);
        expect(call(table.socketpair, family)).toBe(ALLOW);
      }
    });

    it(`${arch}: AF_VSOCK and every other family answer EAFNOSUPPORT, by socket and socketpair`, () => {
      // AF_UNSPEC, AF_AX25, AF_PACKET, AF_KEY, AF_RDS, AF_TIPC, AF_BLUETOOTH, AF_ALG, AF_VSOCK, AF_KCM, AF_XDP,
      // AF_MCTP, a family no kernel has yet, and the whole range.
      for (const family of [0n, 3n, 15n, 17n, 21n, 30n, 31n, 38n, 40n, 41n, 44n, 45n, 46n, 200n]) {
        expect(call(table.socket, family)).toBe(EAFNOSUPPORT);
        expect(call(table.socketpair, family)).toBe(EAFNOSUPPORT);
      }
      for (let family = 0n; family < 64n; family++) {
        const allowed = [1n, 2n, 10n, 16n].includes(family);
        expect(call(table.socket, family)).toBe(allowed ? ALLOW : EAFNOSUPPORT);
      }
    });

    it(`${arch}: only the low 32 bits of the family count, as the kernel reads an int`, () => {
      // AF_VSOCK with garbage in the high half is still AF_VSOCK to the kernel; AF_INET with it is still AF_INET.
      expect(call(table.socket, (1n << 32n) | 40n)).toBe(EAFNOSUPPORT);
      expect(call(table.socket, (0xffffffffn << 32n) | 2n)).toBe(ALLOW);
    });
  }

  it("x64: the i386 socketcall and the x32 socket are killed (foreign ABI), not left to the family rule", () => {
    const program = buildSeccompFilter("x64");
    expect(runFilter(program, { arch: 0x40000003, nr: 102, args: [1n, 0n] })).toBe(KILL_PROCESS); // i386 socketcall
    expect(runFilter(program, { arch: 0x40000003, nr: 359, args: [40n] })).toBe(KILL_PROCESS); // i386 socket
    expect(runFilter(program, { arch: ARCHES.x64.audit, nr: 0x40000000 + 41, args: [40n] })).toBe(
      KILL_PROCESS,
    );
  });

  it("other syscalls are untouched by the family rule", () => {
    const program = buildSeccompFilter("x64");
    expect(runFilter(program, { arch: ARCHES.x64.audit, nr: 0, args: [40n] })).toBe(ALLOW); // read(40, ...)
    expect(runFilter(program, { arch: ARCHES.x64.audit, nr: 42, args: [40n] })).toBe(ALLOW); // connect(40, ...)
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
    const host = new EmbeddedPaneHost({ maxPanes: 2, maxExitedPanes: 2 });
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
      const pane = host.startPane({
        name: "sandboxed",
        argv: [...bwrap, "--die-with-parent", ...(withFilter ? ["--seccomp", String(fd)] : []), ...argv],
        cwd: dir,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "xterm-256color" },
        cols: 100,
        rows: 20,
        scrollback: 100,
        owner: { kind: "agent", session: "test" },
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

  it("AF_VSOCK socket and bind succeed without the filter and answer EAFNOSUPPORT under it", async () => {
    const probe = [
      "python3",
      "-c",
      [
        "import errno, socket",
        "for name in ('AF_VSOCK', 'AF_PACKET', 'AF_UNIX', 'AF_INET'):",
        "    try:",
        "        s = socket.socket(getattr(socket, name), socket.SOCK_DGRAM)",
        "        if name == 'AF_VSOCK': s.bind((socket.VMADDR_CID_ANY, 0))",
        "        print(name + '=OK')",
        "    except OSError as e:",
        "        print(name + '=' + errno.errorcode.get(e.errno, str(e.errno)))",
        "try:",
        "    socket.socketpair(socket.AF_VSOCK)",
        "except OSError as e:",
        "    print('PAIR=' + errno.errorcode.get(e.errno, str(e.errno)))",
      ].join("\n"),
    ];
    // Control: without the filter the kernel does not say EAFNOSUPPORT for vsock (OK, or another errno where
    // the host has no vsock transport).
    expect(await inSandbox(probe, false)).not.toMatch(/AF_VSOCK=EAFNOSUPPORT/);
    const filtered = await inSandbox(probe, true);
    expect(filtered).toContain("AF_VSOCK=EAFNOSUPPORT");
    expect(filtered).toContain("AF_PACKET=EAFNOSUPPORT");
    expect(filtered).toContain("PAIR=EAFNOSUPPORT");
    expect(filtered).toContain("AF_UNIX=OK");
    expect(filtered).toContain("AF_INET=OK");
  });

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
