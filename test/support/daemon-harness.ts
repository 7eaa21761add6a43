import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "vitest";
import { daemonFiles } from "../../src/daemon/daemon-files.js";
import {
  CLI,
  makeWorkspace,
  NOBODY,
  processGone,
  type Served,
  serverPath,
  serveWorkspace,
  type TestWorkspace,
  unprivilegedServer,
} from "./mcp-harness.js";

/**
 * Daemons for e2e tests, each test's in a runtime directory of its own (XDG_RUNTIME_DIR inside the test's
 * private directory), so that tests never share a daemon and a test's daemon never outlives it.
 */
export interface TestDaemons {
  /** The environment every client and CLI call of the test gets. */
  env: Record<string, string>;
  /** The socket directory ccmux uses under it. */
  socketDir: string;
  /** `serve --daemon --session NAME` through the real MCP client. */
  connect(session?: string): Promise<Served>;
  /** Runs the built CLI with the test's environment. */
  cli(args: string[]): { status: number | null; stdout: string; stderr: string };
  /** The pid in the policy's info file, once a daemon wrote one. */
  daemonPid(): number | undefined;
  /** The socket in the policy's info file, once a daemon wrote one. */
  socketPath(): string | undefined;
  /** Stops every daemon of the test (`ccmux daemon stop`; SIGKILL if that fails) and waits until each is gone. */
  stopAll(): Promise<void>;
}

/**
 * `options.runtimeDir: false`: no XDG_RUNTIME_DIR, so the daemon uses the machine's default directory
 * (/tmp/ccmux-UID), shared with other daemons of this user; the test touches only its own policy's files there.
 * `options.runtimeBase`: where XDG_RUNTIME_DIR (`BASE/run`) is made instead of the test's directory.
 * `options.asNobody`: under root, bridges, daemon and CLI calls run as `nobody` (see unprivilegedServer), so that
 * an unsandboxed pane runs as the daemon's own user, as it does for everyone who does not run ccmux as root.
 */
export function testDaemons(
  ws: TestWorkspace,
  options: { runtimeDir?: boolean; runtimeBase?: string; asNobody?: boolean } = {},
): TestDaemons {
  const runtime = join(options.runtimeBase ?? ws.dir, "run");
  const own = options.runtimeDir !== false;
  if (own) mkdirSync(runtime, { mode: 0o700, recursive: true });
  const wrapper = options.asNobody ? unprivilegedServer(ws, ...(own ? [runtime] : [])) : [];
  const uid = wrapper.length > 0 ? NOBODY.uid : (process.getuid?.() ?? 0);
  const socketDir = own ? join(runtime, "ccmux") : `/tmp/ccmux-${uid}`;
  const runtimeEnv: Record<string, string> = own ? { XDG_RUNTIME_DIR: runtime } : {};
  const env = {
    PATH: serverPath(),
    HOME: process.env.HOME ?? "/root",
    LANG: "C.UTF-8",
    XDG_STATE_HOME: join(ws.dir, "xdg-state"),
    XDG_CONFIG_HOME: join(ws.dir, "xdg-config"),
    ...runtimeEnv,
  };
  const files = daemonFiles(socketDir, realpathSync(ws.policyPath));
  const cli = (args: string[]) => {
    const argv = [...wrapper, process.execPath, CLI, ...args];
    const run = spawnSync(argv[0] as string, argv.slice(1), {
      env,
      cwd: ws.dir,
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const pids = (): number[] => {
    try {
      return [(JSON.parse(readFileSync(files.info, "utf8")) as { pid: number }).pid];
    } catch {
      return [];
    }
  };
  return {
    env,
    socketDir,
    connect: (session = "default") =>
      serveWorkspace(ws, runtimeEnv, wrapper, ["--daemon", "--session", session]),
    cli,
    daemonPid: () => pids()[0],
    socketPath: () => {
      try {
        return (JSON.parse(readFileSync(files.info, "utf8")) as { socket: string }).socket;
      } catch {
        return undefined;
      }
    },
    async stopAll() {
      const running = pids();
      cli(["daemon", "stop", "--config", ws.policyPath]);
      for (const pid of running) {
        if (!processGone(pid)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // gone meanwhile
          }
        }
        while (!processGone(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (!own) for (const path of [files.info, files.lock, files.log]) rmSync(path, { force: true });
    },
  };
}

/** What daemonFixture gives a describe block. */
export interface DaemonFixture {
  /** Makes the test's workspace for `policy` (makeWorkspace) and its daemons (testDaemons). */
  start(policy: Record<string, unknown>): { ws: TestWorkspace; daemons: TestDaemons };
  /** A bridge of session `session` to the test's daemon, closed after the test. */
  connect(session: string): Promise<Served>;
  /** Closes every bridge opened so far (a test that kills the daemon reconnects after). */
  closeClients(): Promise<void>;
  readonly ws: TestWorkspace;
  readonly daemons: TestDaemons;
}

/**
 * Daemons for the tests of one describe block: after each test, its bridges are closed, its daemons stopped
 * (waited for) and its workspace removed.
 */
export function daemonFixture(options: Parameters<typeof testDaemons>[1] = {}): DaemonFixture {
  let current: { ws: TestWorkspace; daemons: TestDaemons } | undefined;
  const clients: Served[] = [];
  const closeClients = async (): Promise<void> => {
    for (const client of clients.splice(0)) await client.close().catch(() => {});
  };
  afterEach(async () => {
    await closeClients();
    await current?.daemons.stopAll();
    current?.ws.cleanup();
    current = undefined;
  });
  const started = (): { ws: TestWorkspace; daemons: TestDaemons } => {
    if (!current) throw new Error("daemonFixture: start() first");
    return current;
  };
  return {
    start(policy) {
      const ws = makeWorkspace(policy);
      current = { ws, daemons: testDaemons(ws, options) };
      return current;
    },
    async connect(session) {
      const client = await started().daemons.connect(session);
      clients.push(client);
      return client;
    },
    closeClients,
    get ws() {
      return started().ws;
    },
    get daemons() {
      return started().daemons;
    },
  };
}
