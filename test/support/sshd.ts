import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { quote } from "shell-quote";

/** Debian's openssh-server; sshd re-executes itself, so it must be started by its absolute path. */
export const SSHD = "/usr/sbin/sshd";

/** A private sshd on 127.0.0.1 for one test, with key authentication for the current user set up. */
export interface TestSshd {
  host: "127.0.0.1";
  port: number;
  /** The account the client logs in as: the current user (root as root). */
  user: string;
  /**
   * The argv (after `ssh`) that runs `remoteCommand` on this sshd: no config file (`-F /dev/null`, so the
   * machine's `SendEnv` does not apply), this test's key only, the host key pinned, never a prompt, no agent or
   * X11 forwarding. Each word of `remoteCommand` is shell-quoted (sshd hands the command to the user's shell).
   * `sshOptions` go before the destination (e.g. `["-o", "SendEnv=LC_*"]`, `["-tt"]`).
   */
  sshArgs(remoteCommand: string[], sshOptions?: string[]): string[];
  /** sshd's own log (LogLevel VERBOSE): logins, refused environment, errors. */
  log(): string;
  /** Kills sshd (and with it its sessions) and removes its directory; idempotent. */
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** `AcceptEnv` patterns (default none, so the client's `SendEnv` is ignored): for control runs only. */
  acceptEnv?: string[];
  /** Let clients forward their ssh agent (`ssh -A`; default no): for showing what a forwarded agent reaches. */
  allowAgentForwarding?: boolean;
  /** authorized_keys options before the client's key, e.g. `restrict,command="…"` (see authorizedKeyCommand). */
  keyOptions?: string;
}

/**
 * Why this machine cannot run a private sshd for the tests, or undefined when it can. Computed once, at import,
 * so that tests can `describe.skipIf(SSHD_UNAVAILABLE)` with the reason in their title.
 */
export const SSHD_UNAVAILABLE: string | undefined = whySshdUnavailable();

function whySshdUnavailable(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} is not installed (Debian: apt-get install openssh-server)`;
  for (const tool of ["ssh", "ssh-keygen"]) {
    const probe = spawnSync(tool, ["-?"], { stdio: "ignore" });
    if ((probe.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
      return `${tool} is not installed (Debian: apt-get install openssh-client)`;
    }
  }
  // StrictModes walks from authorized_keys up to the home directory: a home others may write to fails it.
  const home = homedir();
  if (!existsSync(home) || (statSync(home).mode & 0o022) !== 0) {
    return `the home directory ${home} is missing or group/world-writable (sshd's StrictModes refuses keys under it)`;
  }
  return undefined;
}

/**
 * Starts a private sshd: a 0700 directory under the home directory (StrictModes refuses an authorized_keys
 * file below a world-writable /tmp) holding fresh host and client ed25519 keys, authorized_keys, known_hosts
 * and sshd_config; `sshd -D` on a free port of 127.0.0.1, ready once its log says it listens. As root it
 * accepts root by key only; as any other user it runs unprivileged and can log in only that user.
 */
export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  if (SSHD_UNAVAILABLE) throw new Error(`cannot start sshd: ${SSHD_UNAVAILABLE}`);
  const user = userInfo().username;
  const dir = realpathSync(mkdtempSync(join(homedir(), ".ccmux-test-sshd-")));
  try {
    // sshd as root wants its privilege-separation directory even when nobody will use it.
    if (process.getuid?.() === 0 && !existsSync("/run/sshd")) mkdirSync("/run/sshd", { mode: 0o755 });
    const hostKey = join(dir, "host_ed25519");
    const clientKey = join(dir, "client_ed25519");
    keygen(hostKey, "ccmux-test-host");
    keygen(clientKey, "ccmux-test-client");
    const keyLine = `${options.keyOptions ? `${options.keyOptions} ` : ""}${readFileSync(`${clientKey}.pub`, "utf8")}`;
    writeFileSync(join(dir, "authorized_keys"), keyLine, { mode: 0o600 });
    const hostPublic = readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
    let lastError: unknown;
    // The port is free when bound and released; another process may take it before sshd does: try again.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const port = await freePort();
      const config = join(dir, "sshd_config");
      const logPath = join(dir, `sshd-${port}.log`);
      writeFileSync(
        config,
        sshdConfig({
          dir,
          port,
          hostKey,
          user,
          acceptEnv: options.acceptEnv ?? [],
          agent: options.allowAgentForwarding ?? false,
        }),
        {
          mode: 0o600,
        },
      );
      writeFileSync(join(dir, "known_hosts"), `[127.0.0.1]:${port} ${hostPublic}\n`, { mode: 0o600 });
      const child = spawn(SSHD, ["-D", "-f", config, "-E", logPath], { stdio: "ignore" });
      let spawnError: Error | undefined;
      child.once("error", (error) => {
        spawnError = error;
      });
      try {
        await listening(child, logPath, port, () => spawnError);
      } catch (error) {
        lastError = error;
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        await ended(child);
        if (error instanceof AddressInUse) continue;
        throw error;
      }
      return running({ dir, port, user, clientKey, child, logPath });
    }
    throw lastError;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * `command="…"` for authorized_keys: sshd runs `argv` (shell-quoted) whatever command the client asks for
 * (the client's own is in SSH_ORIGINAL_COMMAND).
 */
export function authorizedKeyCommand(argv: string[]): string {
  // sshd's option parser turns \" into " and copies every other character, backslashes included.
  return `command="${quote(argv).replaceAll('"', '\\"')}"`;
}

function running(state: {
  dir: string;
  port: number;
  user: string;
  clientKey: string;
  child: ChildProcess;
  logPath: string;
}): TestSshd {
  const { dir, port, user, clientKey, child, logPath } = state;
  return {
    host: "127.0.0.1",
    port,
    user,
    sshArgs(remoteCommand, sshOptions = []) {
      return [
        "-F",
        "/dev/null",
        "-i",
        clientKey,
        "-p",
        String(port),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${join(dir, "known_hosts")}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-a",
        "-x",
        ...sshOptions,
        `${user}@127.0.0.1`,
        "--",
        quote(remoteCommand),
      ];
    },
    log: () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : ""),
    async stop() {
      // The listener's SIGTERM leaves its connections and their commands running: end the whole tree.
      if (child.pid !== undefined) for (const pid of descendantsOf(child.pid)) signal(pid, "SIGTERM");
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await ended(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Pids below `root` in the process tree (from /proc: sshd's connections and the commands they run). */
function descendantsOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone
    }
  }
  const found: number[] = [];
  const queue = [root];
  for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function keygen(path: string, comment: string): void {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], {
    stdio: "ignore",
  });
}

function sshdConfig(options: {
  dir: string;
  port: number;
  hostKey: string;
  user: string;
  acceptEnv: string[];
  agent: boolean;
}): string {
  const lines = [
    "ListenAddress 127.0.0.1",
    `Port ${options.port}`,
    `HostKey ${options.hostKey}`,
    `PidFile ${join(options.dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(options.dir, "authorized_keys")}`,
    "StrictModes yes",
    `AllowUsers ${options.user}`,
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "UsePAM no",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitUserEnvironment no",
    `AllowAgentForwarding ${options.agent ? "yes" : "no"}`,
    "AllowTcpForwarding no",
    "X11Forwarding no",
    "PrintMotd no",
    "PrintLastLog no",
    "LogLevel VERBOSE",
    ...options.acceptEnv.map((pattern) => `AcceptEnv ${pattern}`),
  ];
  return `${lines.join("\n")}\n`;
}

class AddressInUse extends Error {}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolveListen);
  });
  const address = server.address();
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  if (address === null || typeof address === "string") throw new Error("no TCP port was assigned");
  return address.port;
}

/** Resolves once sshd's log says it listens on `port`; rejects if sshd exits first (or after 10 s). */
async function listening(
  child: ChildProcess,
  logPath: string,
  port: number,
  spawnError: () => Error | undefined,
): Promise<void> {
  const read = () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : "");
  const deadline = Date.now() + 10_000;
  for (;;) {
    const failed = spawnError();
    if (failed) throw failed;
    const log = read();
    if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) return;
    if (child.exitCode !== null || child.signalCode !== null || log.includes("Cannot bind any address")) {
      if (log.includes("Address already in use")) throw new AddressInUse(`port ${port} was taken`);
      throw new Error(`sshd exited (${child.exitCode ?? child.signalCode}) before listening:\n${log}`);
    }
    if (Date.now() > deadline) throw new Error(`sshd did not listen on port ${port} within 10 s:\n${log}`);
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 20));
  }
}

async function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.pid === undefined) return;
  await new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
}
