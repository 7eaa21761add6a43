/**
 * The seccomp program a sandboxed pane runs under, as classic BPF (struct sock_filter[]), ready to hand to
 * `bwrap --seccomp FD`. Generated here rather than with libseccomp: the rules are few, and the bytes are
 * easy to test.
 */

// Classic BPF opcodes (linux/bpf_common.h).
const BPF_LD_W_ABS = 0x20;
const BPF_JMP_JEQ_K = 0x15;
const BPF_JMP_JGE_K = 0x35;
const BPF_JMP_JSET_K = 0x45;
const BPF_RET_K = 0x06;

// Return actions (linux/seccomp.h).
const RET_ALLOW = 0x7fff0000;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;

// struct seccomp_data offsets: nr, arch, instruction pointer, then six 64-bit arguments (little-endian).
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const argLow = (index: number): number => 16 + 8 * index;

const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
const CLONE_NEWUSER = 0x10000000;
const X32_SYSCALL_BIT = 0x40000000;

/**
 * The address families a pane may open sockets of (include/linux/socket.h): AF_UNIX 1, AF_INET 2, AF_INET6 10,
 * AF_NETLINK 16. These four are confined by the pane's namespaces (the network namespace when `network: false`,
 * the mount namespace for unix socket paths) and are what terminal programs use (netlink: getaddrinfo's
 * AI_ADDRCONFIG, `ip`). Every other family is refused with EAFNOSUPPORT — the kernel's own answer for a family
 * it lacks, so programs fall back as they would on a kernel without it. The same allowlist as Flatpak
 * (common/flatpak-run.c, `socket_family_allowlist`: AF_UNSPEC, AF_LOCAL, AF_INET, AF_INET6, AF_NETLINK, others
 * EAFNOSUPPORT); Docker's default profile (moby profiles/seccomp/default.json) refuses AF_VSOCK for the same reason.
 * Refused, among others:
 * - AF_VSOCK (40): host<->VM sockets; the vsock core keeps no per-network-namespace state, so a pane with
 *   `network: false` could still reach the hypervisor or the host's VM services;
 * - AF_BLUETOOTH, AF_NFC, AF_CAN, AF_IUCV, AF_QIPCRTR, AF_CAIF, AF_PHONET, AF_IEEE802154: hardware buses, not
 *   the network namespace's to confine;
 * - AF_ALG (38): the kernel crypto API, a large attack surface no terminal program needs;
 * - AF_PACKET (17): per network namespace, but raw link-layer frames need CAP_NET_RAW, which panes never have,
 *   and it has a long record of privilege-escalation bugs (CVE-2016-8655, CVE-2017-7308, CVE-2020-14386);
 * - AF_KCM, AF_RDS, AF_TIPC, AF_XDP, AF_SMC, AF_LLC, AF_X25, AF_AX25, AF_ATMPVC, AF_PPPOX, AF_KEY, AF_RXRPC,
 *   AF_MCTP and the rest: protocol modules autoloaded on first use, each more kernel code reachable from a pane.
 * Families added by future kernels are refused too: this is an allowlist.
 */
export const ALLOWED_SOCKET_FAMILIES: readonly number[] = [1, 2, 10, 16];

interface ArchTable {
  audit: number;
  hasX32: boolean;
  ioctl: number;
  clone: number;
  clone3: number;
  unshare: number;
  socket: number;
  socketpair: number;
  ioUring: readonly number[];
  /** keyctl, add_key, request_key, bpf, perf_event_open, userfaultfd: refused with EPERM. */
  refused: readonly number[];
}

/** Syscall numbers per architecture we run on (asm/unistd_64.h, asm-generic/unistd.h). */
export const ARCHES: Readonly<Record<"x64" | "arm64", ArchTable>> = {
  x64: {
    audit: 0xc000003e,
    hasX32: true,
    ioctl: 16,
    clone: 56,
    clone3: 435,
    unshare: 272,
    socket: 41,
    socketpair: 53,
    ioUring: [425, 426, 427],
    refused: [250, 248, 249, 321, 298, 323],
  },
  arm64: {
    audit: 0xc00000b7,
    hasX32: false,
    ioctl: 29,
    clone: 220,
    clone3: 435,
    unshare: 97,
    socket: 198,
    socketpair: 199,
    ioUring: [425, 426, 427],
    refused: [219, 217, 218, 280, 241, 282],
  },
};

interface Insn {
  code: number;
  k: number;
  /** Jump targets (labels) for conditional jumps; fall through to the next instruction when omitted. */
  jt?: string;
  jf?: string;
}
type Line = Insn | { label: string };

const ld = (offset: number): Insn => ({ code: BPF_LD_W_ABS, k: offset });
const ret = (action: number): Insn => ({ code: BPF_RET_K, k: action });
const jeq = (k: number, jt: string): Insn => ({ code: BPF_JMP_JEQ_K, k, jt });

/**
 * Builds the filter for `arch` (default: this process's). What it stops:
 * - TIOCSTI / TIOCLINUX ioctls (seed §4.1): typing into a terminal, this pane's or another's. Only the low
 *   32 bits of the request are compared, as the kernel does, so the high-bits variant (CVE-2019-10063) is
 *   caught too.
 * - Foreign architectures and the x32 ABI: the same syscall by another number would bypass the table.
 * - New user namespaces (clone/unshare with CLONE_NEWUSER): a root-like view that widens the kernel surface.
 * - clone3 answers ENOSYS (its flags live in memory a filter cannot read; libc falls back to clone).
 * - io_uring answers ENOSYS: its operations are not syscalls and would slip past every rule.
 * - The kernel keyring (keyctl, add_key, request_key) answers EPERM: keyrings are not namespaced, and the
 *   session keyring the pane inherits may hold the user's credentials.
 * - bpf, perf_event_open and userfaultfd answer EPERM: kernel attack surface (and side channels) that
 *   terminal programs do not use; container runtimes refuse them by default for the same reason.
 * - socket and socketpair of any address family outside ALLOWED_SOCKET_FAMILIES answer EAFNOSUPPORT, with or
 *   without network: families no namespace confines (AF_VSOCK reaches the hypervisor from a network-less pane)
 *   and kernel surface nothing in a terminal needs. The family is an int: the low 32 bits are compared, as the
 *   kernel reads them. i386 `socketcall` needs no rule: a foreign architecture is killed before any of this,
 *   and io_uring (whose IORING_OP_SOCKET would bypass these rules) answers ENOSYS.
 * ptrace stays allowed: debuggers inside the pane work, and the PID namespace leaves nothing outside to attach to.
 */
export function buildSeccompFilter(arch: NodeJS.Architecture = process.arch): Buffer {
  const table = arch === "x64" || arch === "arm64" ? ARCHES[arch] : undefined;
  if (!table) throw new Error(`no seccomp syscall table for architecture ${arch}`);
  const lines: Line[] = [
    ld(OFFSET_ARCH),
    { code: BPF_JMP_JEQ_K, k: table.audit, jf: "kill" },
    ld(OFFSET_NR),
    ...(table.hasX32 ? [{ code: BPF_JMP_JGE_K, k: X32_SYSCALL_BIT, jt: "kill" }] : []),
    jeq(table.ioctl, "ioctl"),
    jeq(table.clone, "newuser"),
    jeq(table.unshare, "newuser"),
    jeq(table.clone3, "enosys"),
    // Security: sockets of families no namespace confines (AF_VSOCK out of a network-less pane), kernel surface.
    jeq(table.socket, "socket"),
    jeq(table.socketpair, "socket"),
    ...table.ioUring.map((nr) => jeq(nr, "enosys")),
    ...table.refused.map((nr) => jeq(nr, "eperm")),
    ret(RET_ALLOW),
    { label: "ioctl" },
    ld(argLow(1)), // the request: low 32 bits only
    jeq(TIOCSTI, "eperm"),
    jeq(TIOCLINUX, "eperm"),
    ret(RET_ALLOW),
    { label: "newuser" },
    ld(argLow(0)), // the clone/unshare flags
    { code: BPF_JMP_JSET_K, k: CLONE_NEWUSER, jt: "eperm" },
    ret(RET_ALLOW),
    { label: "socket" },
    ld(argLow(0)), // the address family
    ...ALLOWED_SOCKET_FAMILIES.map((family) => jeq(family, "allow")),
    ret(RET_ERRNO | EAFNOSUPPORT),
    { label: "allow" },
    ret(RET_ALLOW),
    { label: "enosys" },
    ret(RET_ERRNO | ENOSYS),
    { label: "eperm" },
    ret(RET_ERRNO | EPERM),
    { label: "kill" },
    ret(RET_KILL_PROCESS),
  ];
  return encode(assemble(lines));
}

/** Resolves labels into forward jump offsets (classic BPF jumps only forward, at most 255 instructions). */
function assemble(lines: readonly Line[]): Array<{ code: number; jt: number; jf: number; k: number }> {
  const at = new Map<string, number>();
  let pc = 0;
  for (const line of lines) {
    if ("label" in line) at.set(line.label, pc);
    else pc += 1;
  }
  const out: Array<{ code: number; jt: number; jf: number; k: number }> = [];
  for (const line of lines) {
    if ("label" in line) continue;
    const pcHere = out.length;
    const offset = (label: string | undefined): number => {
      if (label === undefined) return 0;
      const target = at.get(label);
      if (target === undefined || target <= pcHere || target - pcHere - 1 > 255) {
        throw new Error(`bad jump to ${label}`);
      }
      return target - pcHere - 1;
    };
    out.push({ code: line.code, jt: offset(line.jt), jf: offset(line.jf), k: line.k });
  }
  return out;
}

/** struct sock_filter[] in the machine's byte order (little-endian on every architecture we support). */
function encode(program: ReadonlyArray<{ code: number; jt: number; jf: number; k: number }>): Buffer {
  const out = Buffer.alloc(program.length * 8);
  program.forEach((insn, index) => {
    out.writeUInt16LE(insn.code, index * 8);
    out.writeUInt8(insn.jt, index * 8 + 2);
    out.writeUInt8(insn.jf, index * 8 + 3);
    out.writeUInt32LE(insn.k >>> 0, index * 8 + 4);
  });
  return out;
}
