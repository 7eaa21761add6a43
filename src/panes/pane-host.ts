import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { chownSync } from "node:fs";
import { CcmuxError } from "../errors.js";
import type { SandboxStatus } from "../shared/pane-words.js";
import { closeOnExecAll } from "./fd-flags.js";
import { LocalScreens } from "./local-screens.js";
import { Pane, type PaneLaunch, type PaneSpec } from "./pane.js";
import { PaneProcesses } from "./pane-processes.js";
import { trySignal } from "./process-session.js";
import type { ProcessExit } from "./pty-process.js";
import type { PaneSandbox, SandboxLaunch } from "./sandbox/pane-sandbox.js";
import type { ScreenFactory } from "./screen-port.js";
import { switchUserArgv, type UserSwitch, userEnv } from "./user-switch.js";

/** Grace between SIGHUP and SIGKILL when the server shuts down (a client waits about 2 s before it signals us). */
const SHUTDOWN_GRACE_MS = 1000;

export interface PaneHostLimits {
  /** Live panes at once. */
  maxPanes: number;
  /** Exited panes kept readable; beyond this the oldest exited pane is evicted. */
  maxExitedPanes: number;
  /**
   * Tasks (processes and their threads: each holds a pid) one pane may hold at once; beyond this the pane is
   * killed (a fork or thread bomb).
   */
  maxProcesses?: number;
}

/** How often live panes' process counts are checked against maxProcesses. */
const PROCESS_CHECK_MS = 250;

/** Events a host reports, for the audit log. */
export interface PaneHostEvents {
  exit: [pane: Pane, exit: ProcessExit];
  evict: [pane: Pane];
  /** A pane went past maxProcesses and was killed. */
  limit: [pane: Pane, processes: number, limit: number];
  /**
   * Detached processes no pane could be named for (see PaneProcesses) went past maxProcesses and were killed;
   * `panes` are the unsandboxed panes that could have started them.
   */
  "orphan-limit": [processes: number, limit: number, panes: readonly Pane[]];
}

/**
 * Where panes live. The embedded host keeps them in this process; a daemon host (later) keeps them in a
 * long-lived process behind a socket. Tools talk only to this seam.
 */
export class PaneHost extends EventEmitter<PaneHostEvents> {
  private readonly panes = new Map<string, Pane>();
  private readonly killing = new Set<string>();
  /** Ids of exited panes in the order they exited (eviction takes the longest exited first). */
  private exitOrder: string[] = [];
  private shuttingDown = false;
  private processWatch: NodeJS.Timeout | undefined;
  /** Panes past maxProcesses being killed (reported once). */
  private readonly runaways = new Set<string>();
  /** Which processes are whose (see PaneProcesses). */
  private readonly processes: PaneProcesses;
  private readonly userSwitch: UserSwitch | undefined;

  /**
   * @param screens where pane emulators run: the screen thread in `serve`, this thread in tests (default).
   * @param options.adoptOrphans make this process a child subreaper, so that panes' orphaned processes stay
   *   countable and killable (see PaneProcesses). `serve` sets it; only for a process that starts no
   *   asynchronous child processes of its own.
   * @param options.userSwitch under a root server, the unprivileged user every pane runs as, sandboxed or not
   *   (the sandbox was built with the same one).
   */
  constructor(
    private readonly limits: PaneHostLimits,
    private readonly screens: ScreenFactory = new LocalScreens(),
    private readonly sandbox?: PaneSandbox,
    options: { adoptOrphans?: boolean; userSwitch?: UserSwitch } = {},
  ) {
    super();
    // Security: panes must inherit none of this process's descriptors (see fd-flags.ts).
    closeOnExecAll();
    this.processes = new PaneProcesses(options.adoptOrphans ?? false);
    this.userSwitch = options.userSwitch;
  }

  /** Throws LIMIT_EXCEEDED when maxPanes are alive (checked before a spawn is allowed and audited). */
  assertCanSpawn(): void {
    if (this.shuttingDown) throw new CcmuxError("INTERNAL", "The server is shutting down.");
    const live = this.list().filter((pane) => pane.alive).length;
    if (live >= this.limits.maxPanes) {
      throw new CcmuxError("LIMIT_EXCEEDED", `At most ${this.limits.maxPanes} panes may run at once.`, {
        data: { limit: "maxPanes", value: this.limits.maxPanes },
      });
    }
  }

  /** Whether sandboxed panes can be started now (never, when this host has no sandbox). */
  sandboxStatus(): SandboxStatus {
    return this.sandbox?.status() ?? { available: false, reason: "this server has no pane sandbox" };
  }

  /**
   * Starts a pane, inside the sandbox when `sandboxed`; what the sandbox could not protect is appended to
   * `warnings` (pane-safe sentences). Throws LIMIT_EXCEEDED when maxPanes are alive,
   * SANDBOX_UNAVAILABLE when the sandbox cannot be built, SPAWN_FAILED when the pty cannot start.
   */
  spawn(
    spec: Omit<PaneSpec, "id">,
    options: { sandboxed: boolean; warnings?: string[] } = { sandboxed: false },
  ): Pane {
    this.assertCanSpawn();
    const launch = options.sandboxed ? this.sandboxLaunch(spec) : undefined;
    // What the sandbox could not protect (a planted symlink, a mount budget cut) goes to the caller, which
    // reports it in the result and the audit; it never refuses the spawn.
    if (launch && options.warnings) options.warnings.push(...launch.warnings);
    let pane: Pane;
    try {
      pane = new Pane(
        { ...this.asPaneUser(spec), id: newPaneId() },
        this.screens,
        this.launchFor(spec, launch),
        this.processes,
      );
    } catch (cause) {
      launch?.exitStatus.close();
      throw new CcmuxError("SPAWN_FAILED", "The program could not be started.", {
        cause,
        data: { error: cause instanceof Error ? cause.message : String(cause) },
      });
    } finally {
      launch?.release();
    }
    this.panes.set(pane.id, pane);
    this.watchProcesses();
    void pane.exited().then((exit) => {
      if (!this.panes.has(pane.id)) return;
      this.exitOrder.push(pane.id);
      this.emit("exit", pane, exit);
      this.evictExited();
    });
    return pane;
  }

  /** The spec as the pane user sees it: its own HOME/USER, its session directory handed to it. */
  private asPaneUser(spec: Omit<PaneSpec, "id">): Omit<PaneSpec, "id"> {
    const change = this.userSwitch;
    if (!change) return spec;
    if (spec.sessionDir) chownSync(spec.sessionDir.dir.path, change.user.uid, change.user.gid);
    return { ...spec, env: userEnv(change.user, spec.env) };
  }

  /** How the process starts: through bwrap, through setpriv alone (root server, unsandboxed), or as is. */
  private launchFor(
    spec: Omit<PaneSpec, "id">,
    sandboxed: SandboxLaunch | undefined,
  ): PaneLaunch | undefined {
    if (sandboxed) return { ...sandboxed, sandboxed: true };
    // Security: an unsandboxed pane of a root server still never runs as root (see pane-user.ts).
    if (this.userSwitch)
      return { argv: switchUserArgv(this.userSwitch, spec.argv), passFds: [], sandboxed: false };
    return undefined;
  }

  private sandboxLaunch(spec: Omit<PaneSpec, "id">): SandboxLaunch {
    // Security: fail closed — a pane asked to be sandboxed never starts without the sandbox.
    const status = this.sandboxStatus();
    if (!this.sandbox || !status.available) {
      throw new CcmuxError("SANDBOX_UNAVAILABLE", "The pane sandbox cannot be built; nothing was started.", {
        data: { reason: status.available ? "no sandbox" : status.reason },
      });
    }
    try {
      return this.sandbox.launch(spec.argv, spec.cwd, spec.sessionDir ? [spec.sessionDir.dir.path] : []);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new CcmuxError("SANDBOX_UNAVAILABLE", `The pane sandbox cannot be built: ${reason}`, {
        cause,
        data: { reason },
      });
    }
  }

  get(id: string): Pane | undefined {
    return this.panes.get(id);
  }

  /** Panes in start order. */
  list(): Pane[] {
    return [...this.panes.values()];
  }

  /** Kills the pane's process (see Pane.kill) and forgets the pane. */
  async kill(id: string, signal?: NodeJS.Signals, graceMs?: number): Promise<void> {
    const pane = this.panes.get(id);
    if (!pane) return;
    this.killing.add(id);
    try {
      await pane.kill(signal, graceMs);
    } finally {
      this.killing.delete(id);
    }
    this.panes.delete(id);
    pane.dispose();
  }

  /**
   * Kills every pane (in parallel) and refuses new ones. SIGHUP first, as when a terminal window closes:
   * interactive shells ignore SIGTERM but exit on hangup (and pass it to their jobs).
   */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.processWatch);
    this.processWatch = undefined;
    await Promise.all(this.list().map((pane) => this.kill(pane.id, "SIGHUP", SHUTDOWN_GRACE_MS)));
    await this.screens.close();
  }

  /**
   * Security: a fork (or thread) bomb in one pane would take every pid (and the machine) down. While panes
   * exist, the processes each started (PaneProcesses: descendants, setsid'd ones included; in the sandbox, its
   * whole PID namespace) and their threads are counted every PROCESS_CHECK_MS, and a pane past maxProcesses is
   * killed outright with all of them — also a pane whose first process already exited and left the rest
   * running. The same pass reaps adopted orphans. Bounded in time, not prevented: see the README.
   */
  private watchProcesses(): void {
    const limit = this.limits.maxProcesses;
    if ((limit === undefined && !this.processes.adopting) || this.processWatch !== undefined) return;
    this.processWatch = setInterval(() => {
      // Security: tasks, not processes: a thread bomb takes pids as a fork bomb does.
      const { tasks, unattributed, unattributedTasks } = this.processes.scan();
      if (this.panes.size === 0) {
        // Security: detached leftovers of panes that are all gone have no one left to answer to. The watch
        // stops once they are gone and reaped.
        for (const pid of unattributed) trySignal(pid, "SIGKILL");
        if (unattributed.length === 0) {
          clearInterval(this.processWatch);
          this.processWatch = undefined;
        }
        return;
      }
      if (limit === undefined) return;
      if (unattributedTasks > limit) {
        for (const pid of unattributed) trySignal(pid, "SIGKILL");
        this.emit(
          "orphan-limit",
          unattributedTasks,
          limit,
          this.list().filter((pane) => !pane.sandboxed),
        );
      }
      for (const pane of this.list()) {
        const processes = tasks.get(pane.id) ?? 0;
        if (processes <= limit || this.runaways.has(pane.id) || this.killing.has(pane.id)) continue;
        this.runaways.add(pane.id);
        this.emit("limit", pane, processes, limit);
        void pane.kill("SIGKILL", 0).finally(() => this.runaways.delete(pane.id));
      }
    }, PROCESS_CHECK_MS);
    this.processWatch.unref();
  }

  private evictExited(): void {
    // The longest exited go first: by spawn order, a long-lived pane (a shell the agent just left) was evicted
    // the moment it exited, before its exit status could be read. A pane being killed leaves through kill().
    this.exitOrder = this.exitOrder.filter((id) => this.panes.has(id));
    const exited = this.exitOrder
      .map((id) => this.panes.get(id) as Pane)
      .filter((pane) => !this.killing.has(pane.id));
    for (const pane of exited.slice(0, Math.max(0, exited.length - this.limits.maxExitedPanes))) {
      this.panes.delete(pane.id);
      void pane.kill().finally(() => pane.dispose());
      this.emit("evict", pane);
    }
  }
}

function newPaneId(): string {
  // Security: ids are unguessable (96 random bits), so a pane cannot be named without being listed first.
  return `p-${randomBytes(12).toString("base64url")}`;
}
