import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { chownSync } from "node:fs";
import { CcmuxError } from "../../errors.js";
import { SHELL_BUILTINS } from "../../native/addon.js";
import type { Keystroke } from "../../shared/keystroke.js";
import type { SandboxStatus } from "../../shared/pane-words.js";
import type { ShellStep } from "../../shared/shell-step.js";
import { type Settled, untilSettled } from "../../shared/until-settled.js";
import { closeOnExecAll } from "../fd-flags.js";
import type { PaneJournals } from "../journal/pane-journals.js";
import type { PaneSnapshot } from "../journal/pane-snapshot.js";
import { LocalScreens } from "../local-screens.js";
import type {
  PaneChange,
  PaneHost,
  PaneHostEvents,
  PaneInfo,
  PaneRead,
  PaneSpawnSpec,
  PaneViewer,
  PaneWaitOptions,
  PaneWaitResult,
  ReadMode,
  ShellRunAnswer,
  SpawnedPane,
} from "../pane-host.js";
import { PaneProcesses } from "../pane-processes.js";
import type { HistoryMark } from "../pane-screen.js";
import { PaneViewers } from "../pane-viewers.js";
import { signalGroupsThenPids } from "../process-session.js";
import type { PaneSandbox, SandboxLaunch } from "../sandbox/pane-sandbox.js";
import type { PaneFrame } from "../screen-frame.js";
import type { FrameListener, FrameWatch, ScreenFactory, ScreenState } from "../screen-port.js";
import { createSessionDir, type SessionDir } from "../session-dir.js";
import { prepareValidatedShell } from "../shell/shell-launch.js";
import type { ShellFds } from "../shell/shell-text.js";
import type { ShellOutcome, ValidatedShell } from "../shell/validated-shell.js";
import { plainSpare, SpareLauncher, type SpareTaken } from "../spare-launch.js";
import { switchUserArgv, type UserSwitch, userEnv } from "../user-switch.js";
import { Pane, type PaneLaunch, type PaneSpec } from "./pane.js";
import { SpareRefills } from "./spare-refills.js";
import { waitForOutputResult } from "./wait-for-output.js";

/** Grace between SIGHUP and SIGKILL when the server shuts down (a client waits about 2 s before it signals us). */
const SHUTDOWN_GRACE_MS = 1000;

export interface PaneHostLimits {
  /** Live panes at once. */
  maxPanes: number;
  /** Exited panes kept readable per owner (each agent session, and the person); past it the longest exited goes. */
  maxExitedPanes: number;
  /**
   * Tasks (processes and their threads: each holds a pid) one pane may hold at once; beyond this the pane is
   * killed (a fork or thread bomb).
   */
  maxProcesses?: number;
}

/** How often live panes' process counts are checked against maxProcesses. */
const PROCESS_CHECK_MS = 250;
/**
 * Spares kept of each kind: an agent often starts panes in a row (a server, then its tests), and a spawn that finds
 * none builds its sandbox itself (30-50 ms). Refills reuse the spare's plan while nothing it read has changed
 * (pane-sandbox.ts), so each costs one fork.
 */
const SPARES_KEPT = 2;

/**
 * The pane host that keeps panes in this process: `ccmux serve`'s, and the one the ccmux daemon shares across
 * its connections. It owns the panes (Pane), their waits, their session directories, the screens (this thread
 * or the screen thread) and the sandbox launch; callers see only PaneHost's ids and data.
 */
export class EmbeddedPaneHost implements PaneHost {
  private readonly events = new EventEmitter<PaneHostEvents>();
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
  private readonly sessionBase: string | undefined;
  private readonly paneViewers = new PaneViewers();
  /** The panes' journals (daemon mode with persist.scrollback, issue 15), or none. */
  private readonly journals: PaneJournals | undefined;
  /** The pane processes started ahead of the next spawn, sandboxed and not, when the server keeps them (issue 16). */
  private readonly sandboxSpare: SpareLauncher | undefined;
  private readonly plainSpare: SpareLauncher | undefined;
  private readonly refills = new SpareRefills();

  /**
   * @param screens where pane emulators run: the screen thread in `serve`, this thread in tests (default).
   * @param options.adoptOrphans make this process a child subreaper, so that panes' orphaned processes stay
   *   countable and killable (see PaneProcesses). `serve` sets it; only for a process that starts no
   *   asynchronous child processes of its own.
   * @param options.userSwitch under a root server, the unprivileged user every pane runs as, sandboxed or not
   *   (the sandbox was built with the same one).
   * @param options.sessionBase where panes' private session directories are made (see session-dir.ts); a
   *   spawn that asks for one fails with SPAWN_FAILED when it is not set.
   * @param options.spares keep a pane process started ahead of the next spawn (see SpareLauncher): a sandboxed one
   *   from the start when there is a sandbox, an unsandboxed one after the first unsandboxed spawn. `serve` sets it.
   */
  constructor(
    private readonly limits: PaneHostLimits,
    private readonly screens: ScreenFactory = new LocalScreens(),
    private readonly sandbox?: PaneSandbox,
    options: {
      adoptOrphans?: boolean;
      userSwitch?: UserSwitch;
      sessionBase?: string;
      journals?: PaneJournals;
      spares?: boolean;
    } = {},
  ) {
    this.events.setMaxListeners(0);
    // Security: panes must inherit none of this process's descriptors (see fd-flags.ts).
    closeOnExecAll();
    this.processes = new PaneProcesses(options.adoptOrphans ?? false);
    this.userSwitch = options.userSwitch;
    this.sessionBase = options.sessionBase;
    this.journals = options.journals;
    const spares = options.spares === true;
    this.sandboxSpare =
      sandbox && spares
        ? new SpareLauncher(sandbox.spare(), this.processes, this.userSwitch, SPARES_KEPT)
        : undefined;
    this.plainSpare = spares
      ? new SpareLauncher(plainSpare(), this.processes, this.userSwitch, SPARES_KEPT)
      : undefined;
    this.sandboxSpare?.fill(0);
  }

  /**
   * Brings back the panes of `snapshots` (read from their journals at a daemon's start, issue 15): exited, with
   * their history and screen, each reader's place for `new`, and reason "daemon restarted"; their journals stay
   * until they are killed or evicted. Returns the ids of those still here once eviction has run.
   */
  restore(snapshots: readonly PaneSnapshot[]): string[] {
    const ids: string[] = [];
    // In the order they ended, those that still ran when the daemon stopped last: eviction (maxExitedPanes) takes
    // the longest ended first, never a pane that was running (an attack review lost those to older exited ones).
    const ended = (snapshot: PaneSnapshot): number =>
      snapshot.exit === null ? Number.POSITIVE_INFINITY : snapshot.takenAt;
    const ordered = [...snapshots].sort((a, b) => ended(a) - ended(b) || a.takenAt - b.takenAt);
    for (const snapshot of ordered) {
      if (this.panes.has(snapshot.id)) continue;
      const pane = new Pane(
        {
          id: snapshot.id,
          name: snapshot.name,
          argv: snapshot.argv,
          cwd: snapshot.cwd,
          env: {},
          cols: snapshot.cols,
          rows: snapshot.rows,
          scrollback: Math.max(1, snapshot.text.split("\n").length),
          owner: snapshot.owner,
          input: snapshot.input,
          ...(snapshot.shell ? { shell: snapshot.shell } : {}),
          restored: {
            text: snapshot.text,
            exit: snapshot.exit ?? { exitCode: null, signal: null },
            pid: snapshot.pid,
            unread: snapshot.unread,
            sandboxed: snapshot.sandboxed,
          },
        },
        this.screens,
        undefined,
        this.processes,
      );
      this.panes.set(pane.id, pane);
      this.exitOrder.push(pane.id);
      this.journals?.track(pane);
      ids.push(pane.id);
    }
    this.evictExited();
    // The ones still here: eviction (maxExitedPanes) may have taken the longest ended.
    return ids.filter((id) => this.panes.has(id));
  }

  /** Throws LIMIT_EXCEEDED when maxPanes are alive (checked before a spawn is allowed and audited). */
  assertCanSpawn(): void {
    if (this.shuttingDown) throw new CcmuxError("INTERNAL", "The server is shutting down.");
    const live = this.livePanes().filter((pane) => pane.alive).length;
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

  async spawn(spec: PaneSpawnSpec): Promise<SpawnedPane> {
    const warnings: string[] = [];
    const pane = this.startPane(spec, warnings);
    return { pane: this.infoOf(pane), warnings };
  }

  /**
   * `spawn` for code in this process that drives the Pane itself (the host's own tests, the benchmarks): the
   * live Pane, started unsandboxed unless `spec.sandboxed`; what the sandbox could not protect is appended to
   * `warnings`. Not part of PaneHost: tools never see a Pane.
   */
  startPane(spec: Omit<PaneSpawnSpec, "sandboxed"> & { sandboxed?: boolean }, warnings: string[] = []): Pane {
    this.assertCanSpawn();
    const { sandboxed = false, sessionDir: wanted, ...rest } = spec;
    const dir = wanted ? this.sessionDir() : undefined;
    const paneSpec: Omit<PaneSpec, "id"> = {
      ...rest,
      ...(dir && wanted
        ? { env: { ...rest.env, [wanted.envName]: dir.path }, sessionDir: { dir, keep: wanted.keep } }
        : {}),
    };
    try {
      return this.start(paneSpec, sandboxed, warnings);
    } catch (error) {
      dir?.remove();
      throw error;
    }
  }

  private sessionDir(): SessionDir {
    if (this.sessionBase === undefined)
      throw new CcmuxError("SPAWN_FAILED", "This pane host has no place for session directories.");
    return createSessionDir(this.sessionBase);
  }

  private start(spec: Omit<PaneSpec, "id">, sandboxed: boolean, warnings: string[]): Pane {
    if (spec.input !== "validated") return this.startProcess(spec, spec, sandboxed, warnings, undefined);
    // A validated shell: bash or zsh, started with ccmux's own options on its command stream (src/panes/shell).
    let pane: Pane | undefined;
    const { shell, launched } = prepareValidatedShell(spec, {
      pane: () => pane,
      sandboxed,
      ...(this.userSwitch ? { paneUser: this.userSwitch.user } : {}),
    });
    try {
      pane = this.startProcess(spec, launched, sandboxed, warnings, shell);
      return pane;
    } catch (error) {
      shell.end("it could not be started");
      throw error;
    } finally {
      shell.launched();
    }
  }

  /**
   * Starts `launched` (the argv and env actually executed) as the pane `spec` describes (its argv as checked).
   * `shell`: the validated shell it runs, whose descriptors the process inherits.
   */
  private startProcess(
    spec: Omit<PaneSpec, "id">,
    launched: Omit<PaneSpec, "id">,
    sandboxed: boolean,
    warnings: string[],
    shell: ValidatedShell | undefined,
  ): Pane {
    const asUser = this.asPaneUser(launched);
    const launch = sandboxed ? this.sandboxLaunch(launched, asUser.env, shell) : undefined;
    // An unsandboxed pane without a validated shell's descriptors may be the spare started ahead (SpareLauncher).
    const plain =
      sandboxed || shell !== undefined
        ? undefined
        : this.plainSpare?.take({
            argv: asUser.argv,
            cwd: asUser.cwd,
            env: asUser.env,
            cols: asUser.cols,
            rows: asUser.rows,
          });
    // What the sandbox could not protect (a planted symlink, a mount budget cut) goes to the caller, which
    // reports it in the result and the audit; it never refuses the spawn.
    if (launch) warnings.push(...launch.warnings);
    let pane: Pane;
    try {
      pane = new Pane(
        { ...this.asPaneUser({ ...spec, env: launched.env }), id: newPaneId() },
        this.screens,
        plain
          ? { argv: [], passFds: [], sandboxed: false, ...adopting(plain) }
          : this.launchFor(asUser, launch, shell?.childFds),
        this.processes,
        shell,
      );
    } catch (cause) {
      launch?.abandon?.();
      plain?.abandon();
      launch?.exitStatus.close();
      throw new CcmuxError("SPAWN_FAILED", "The program could not be started.", {
        cause,
        data: { error: cause instanceof Error ? cause.message : String(cause) },
      });
    } finally {
      launch?.release();
    }
    this.panes.set(pane.id, pane);
    this.journals?.track(pane);
    this.watchProcesses();
    // The spare of its kind this spawn took, or found missing, is made again once the pane has printed and its waits
    // have answered (SpareRefills). Nothing is made when none is missing.
    const spares = sandboxed ? this.sandboxSpare : shell === undefined ? this.plainSpare : undefined;
    if (spares) this.refills.started(pane, spares);
    void pane.exited().then((exit) => {
      if (!this.panes.has(pane.id)) return;
      this.exitOrder.push(pane.id);
      this.events.emit("exit", this.infoOf(pane), exit);
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
    shellFds: ShellFds | undefined,
  ): PaneLaunch | undefined {
    const passed = shellFds ? [shellFds.script, shellFds.back] : [];
    if (sandboxed) return { ...sandboxed, passFds: [...sandboxed.passFds, ...passed], sandboxed: true };
    // Security: an unsandboxed pane of a root server still never runs as root (see pane-user.ts).
    if (this.userSwitch)
      return { argv: switchUserArgv(this.userSwitch, spec.argv), passFds: passed, sandboxed: false };
    if (passed.length > 0) return { argv: spec.argv, passFds: passed, sandboxed: false };
    return undefined;
  }

  /** `env`: the program's environment as the pane user gets it (asPaneUser). */
  private sandboxLaunch(
    spec: Omit<PaneSpec, "id">,
    env: Record<string, string>,
    shell?: ValidatedShell,
  ): SandboxLaunch {
    // Security: fail closed — a pane asked to be sandboxed never starts without the sandbox.
    const status = this.sandboxStatus();
    if (!this.sandbox || !status.available) {
      throw new CcmuxError("SANDBOX_UNAVAILABLE", "The pane sandbox cannot be built; nothing was started.", {
        data: { reason: status.available ? "no sandbox" : status.reason },
      });
    }
    // A sandbox that is the same for every spawn (no session directory bound in, not a validated shell) may be
    // the spare built ahead, while it still fits (SpareLauncher).
    if (shell === undefined && spec.sessionDir === undefined) {
      const { argv, cwd, cols, rows } = spec;
      const spare = this.sandboxSpare?.take({ argv, cwd, env, cols, rows });
      const exitStatus = spare?.exitStatus;
      if (spare && exitStatus) {
        return {
          argv: [],
          passFds: [],
          warnings: spare.warnings,
          exitStatus,
          release: () => {},
          ...adopting(spare),
        };
      }
      spare?.abandon();
    }
    try {
      return this.sandbox.launch(
        spec.argv,
        spec.cwd,
        spec.sessionDir ? [spec.sessionDir.dir.path] : [],
        shell ? { shell: { dialect: shell.dialect, builtins: SHELL_BUILTINS[shell.dialect] } } : {},
      );
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new CcmuxError("SANDBOX_UNAVAILABLE", `The pane sandbox cannot be built: ${reason}`, {
        cause,
        data: { reason },
      });
    }
  }

  /**
   * The live Pane object, for code in this process that drives a pane directly (the host's own tests, the
   * benchmarks). Not part of PaneHost: tools never see it.
   */
  pane(id: string): Pane | undefined {
    return this.panes.get(id);
  }

  async list(): Promise<PaneInfo[]> {
    return this.livePanes().map((pane) => this.infoOf(pane));
  }

  async info(id: string): Promise<PaneInfo | undefined> {
    const pane = this.panes.get(id);
    return pane ? this.infoOf(pane) : undefined;
  }

  async keyboard(id: string): Promise<ScreenState> {
    return this.required(id).state();
  }

  async write(
    id: string,
    strokes: readonly Keystroke[],
    options: { shellCommand?: boolean } = {},
  ): Promise<void> {
    // Security: a person who takes write (`ccmux attach --write`) stops the agent's keystrokes at once, also those
    // of calls queued behind each other or settling after an Escape: an attack review queued twenty calls just
    // before a person attached and kept typing into their shell for 37 s.
    const writing = (): boolean => this.paneViewers.writing(id);
    const pane = this.required(id);
    if (pane.shell !== undefined && !pane.shell.started && options.shellCommand !== true) {
      // Security: the start-up is what makes C-c, C-z and C-\ do nothing at the prompt (its traps); sent before
      // it ran, they killed or stopped the shell (an attack review), a stopped one holding a queued run for good.
      throw new CcmuxError(
        "PANE_BUSY",
        "The validated shell is still starting: nothing was typed. Keys at its prompt do nothing once it runs; C-c a command run started instead.",
      );
    }
    // Security: keys meant for a program a validated shell runs stop when it leaves the front: the shell's
    // prompt takes no text (what is typed is flushed before the next command in any case).
    const shellBack = (): boolean => options.shellCommand === true && pane.shell?.keys() === "prompt";
    const written = await pane.type(strokes, () => writing() || shellBack());
    if (written < strokes.length && pane.shell !== undefined && pane.alive && !writing() && !shellBack()) {
      // Security: a validated shell's keys are never left queued to arrive after its next command started.
      throw new CcmuxError(
        "LIMIT_EXCEEDED",
        `The program in front is not reading its input and the terminal's input buffer is full: ${written} of ${strokes.length} keystrokes were written, the rest was dropped.`,
        { data: { written, keystrokes: strokes.length } },
      );
    }
    if (written < strokes.length && shellBack() && !writing()) {
      throw new CcmuxError(
        "INPUT_NOT_ALLOWED",
        `The command ended while ccmux was typing: ${written} of ${strokes.length} keystrokes were written, nothing more is typed.`,
        { data: { written, keystrokes: strokes.length, input: "validated" } },
      );
    }
    if (written < strokes.length && writing()) {
      throw new CcmuxError(
        "PANE_BUSY",
        `A person took write in this pane (ccmux attach) while ccmux was typing: ${written} of ${strokes.length} keystrokes were written, nothing more is typed.`,
        { data: { written, keystrokes: strokes.length } },
      );
    }
  }

  async shellRun(
    id: string,
    step: ShellStep,
    display: string,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<ShellRunAnswer> {
    const { pane, shell } = this.shellOf(id);
    const started = shell.run(step, display, options.signal);
    started.catch(() => {});
    const outcome = await untilSettled(started, options);
    const answer = await this.shellAnswer(pane, shell, outcome, shell.current());
    // The audit says whether an aborted run's command runs (an attack review could not tell from it).
    return outcome.kind === "aborted" ? { ...answer, typed: shell.typed(started) } : answer;
  }

  async shellWait(id: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ShellRunAnswer> {
    const { pane, shell } = this.shellOf(id);
    const running = shell.current();
    if (running === undefined) {
      throw new CcmuxError(
        "INVALID_ARGUMENT",
        "The shell runs no command now, and the last one's answer was given: give run a command.",
      );
    }
    return this.shellAnswer(pane, shell, await untilSettled(running, options), running);
  }

  private shellOf(id: string): { pane: Pane; shell: ValidatedShell } {
    const pane = this.required(id);
    if (pane.shell === undefined) {
      throw new CcmuxError(
        "INVALID_ARGUMENT",
        'This pane is not a validated shell (policy input "validated"): run {pane} works only on one.',
      );
    }
    if (!pane.alive) throw new CcmuxError("PANE_EXITED", "The shell has exited; read it or kill it.");
    return { pane, shell: pane.shell };
  }

  /** The answer: the outcome, or what the command printed so far when it is not finished. */
  private async shellAnswer(
    pane: Pane,
    shell: ValidatedShell,
    outcome: Settled<ShellOutcome>,
    command: Promise<ShellOutcome> | undefined,
  ): Promise<ShellRunAnswer> {
    if (outcome.kind !== "finished") {
      return { outcome: outcome.kind, partialOutput: await shell.outputSoFar(), pane: this.infoOf(pane) };
    }
    if (command) shell.delivered(command);
    return { outcome: outcome.kind, result: outcome.value, pane: this.infoOf(pane) };
  }

  releaseSince(id: string, mark: HistoryMark | undefined): void {
    this.panes.get(id)?.releaseSince(mark);
  }

  markSince(id: string): Promise<HistoryMark | undefined> {
    // Not async: the request must reach the screen before this call returns (see PaneHost.markSince).
    return this.panes.get(id)?.markSince() ?? Promise.resolve(undefined);
  }

  async read(id: string, mode: ReadMode, reader: string): Promise<PaneRead> {
    const pane = this.required(id);
    const snapshot = await pane.snapshot();
    let text = snapshot.text;
    let lost = false;
    if (mode === "scrollback") text = await pane.scrollbackText();
    else if (mode === "new") ({ text, lost } = await pane.newText(reader));
    return { screen: snapshot.text, cursor: snapshot.cursor, text, lost, pane: this.infoOf(pane) };
  }

  async frame(id: string): Promise<PaneFrame> {
    return this.required(id).frame();
  }

  watchFrames(id: string, listener: FrameListener): FrameWatch {
    return this.required(id).watchFrames(listener);
  }

  async wait(id: string, options: PaneWaitOptions): Promise<PaneWaitResult> {
    const pane = this.required(id);
    const { screenBy, ...waitOptions } = options;
    return this.refills.during(pane, async () => {
      const result = await waitForOutputResult(pane, waitOptions);
      // A cancelled wait's answer goes to no one: it reads no screen, which on a pane a flood keeps busy took
      // seconds while the wait still held its caller's maxWaiters slot and its matcher thread (attack review).
      if (result.excerpt !== undefined || result.outcome === "aborted")
        return { ...result, pane: this.infoOf(pane) };
      return { ...result, screen: await screenTextBy(pane, screenBy), pane: this.infoOf(pane) };
    });
  }

  async resize(id: string, cols: number, rows: number): Promise<void> {
    await this.required(id).resize(cols, rows);
  }

  watch(id: string, listener: (change: PaneChange) => void): () => void {
    const pane = this.required(id);
    const onScreen = (): void => listener("screen");
    const onExit = (): void => listener("exit");
    const onGone = (): void => {
      unwatch();
      listener("gone");
    };
    const unwatch = (): void => {
      pane.off("output", onScreen);
      pane.off("resized", onScreen);
      pane.off("exit", onExit);
      pane.off("disposed", onGone);
    };
    pane.on("output", onScreen);
    pane.on("resized", onScreen);
    pane.on("exit", onExit);
    pane.on("disposed", onGone);
    return unwatch;
  }

  typePersonText(id: string, text: string): void {
    this.required(id).write(text);
  }

  addViewer(id: string, viewer: { pid: number; uid: number }): PaneViewer {
    this.required(id);
    return this.paneViewers.add(id, viewer);
  }

  setViewerWrite(id: string, viewerId: string, write: boolean): boolean {
    this.required(id);
    return this.paneViewers.setWrite(id, viewerId, write);
  }

  removeViewer(id: string, viewerId: string): void {
    this.paneViewers.remove(id, viewerId);
  }

  viewers(id: string): PaneViewer[] {
    return this.paneViewers.of(id);
  }

  /** A pane as data (see PaneInfo). */
  private infoOf(pane: Pane): PaneInfo {
    return paneInfo(pane, this.paneViewers);
  }

  on<E extends keyof PaneHostEvents>(event: E, listener: (...args: PaneHostEvents[E]) => void): () => void {
    // EventEmitter's typing wants the listener in its own generic form; the shapes are the same.
    const typed = listener as Parameters<EventEmitter<PaneHostEvents>["on"]>[1];
    this.events.on(event, typed);
    return () => this.events.off(event, typed);
  }

  private required(id: string): Pane {
    const pane = this.panes.get(id);
    if (!pane)
      throw new CcmuxError("PANE_NOT_FOUND", "No such pane: use list_panes to see the panes you can reach.");
    return pane;
  }

  /** Panes in start order. */
  private livePanes(): Pane[] {
    return [...this.panes.values()];
  }

  /** Kills the pane's process (see Pane.kill) and forgets the pane; `graceMs` before SIGKILL (default 2 s). */
  async kill(id: string, signal?: NodeJS.Signals, graceMs?: number): Promise<PaneInfo | undefined> {
    return this.end(id, signal, graceMs, false);
  }

  /** kill; with `keepJournal` (the daemon stops, its journals kept) the journal is written last, not shredded. */
  private async end(
    id: string,
    signal: NodeJS.Signals | undefined,
    graceMs: number | undefined,
    keepJournal: boolean,
  ): Promise<PaneInfo | undefined> {
    const pane = this.panes.get(id);
    if (!pane) return undefined;
    this.killing.add(id);
    // Removed after: its screen is never read again, so the backlog it has not parsed is dropped. A pane printing
    // screenfuls of REP kept its process's exit (and kill_pane) waiting 5 s for that backlog.
    if (!keepJournal) pane.discardOutput();
    try {
      await pane.kill(signal, graceMs);
    } finally {
      this.killing.delete(id);
    }
    if (keepJournal) await this.journals?.flush(id);
    else this.journals?.forget(id);
    this.panes.delete(id);
    const ended = this.infoOf(pane);
    this.paneViewers.forget(id);
    pane.dispose();
    return ended;
  }

  /**
   * Kills every pane (in parallel) and refuses new ones. SIGHUP first, as when a terminal window closes:
   * interactive shells ignore SIGTERM but exit on hangup (and pass it to their jobs).
   */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.sandboxSpare?.dispose();
    this.plainSpare?.dispose();
    clearInterval(this.processWatch);
    this.processWatch = undefined;
    await Promise.all(
      this.livePanes().map((pane) =>
        this.end(pane.id, "SIGHUP", SHUTDOWN_GRACE_MS, this.journals !== undefined),
      ),
    );
    await this.journals?.close();
    await this.killLeftovers();
    await this.screens.close();
  }

  /**
   * Security: detached processes of panes (double fork and setsid, adopted by this child subreaper) that no pane
   * can be named for outlive their panes; at shutdown they go too, round after round while they fork. An attack
   * review kept one alive across `ccmux daemon stop`; the next daemon, which it was not below, took it for a
   * stranger and served it any session.
   */
  private async killLeftovers(): Promise<void> {
    if (!this.processes.adopting) return;
    for (let round = 0; round < 100; round++) {
      const { unattributed, unattributedGroups } = this.processes.scan();
      // Every pane is gone: whatever this subreaper still holds is a leftover (see PaneProcesses.killAdopted).
      const left = this.processes.killAdopted(2000);
      if (unattributed.length === 0 && unattributedGroups.length === 0 && left === 0) return;
      signalGroupsThenPids(unattributed, unattributedGroups, "SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
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
      const { tasks, unattributed, unattributedTasks, unattributedGroups } = this.processes.scan();
      if (this.panes.size === 0) {
        // Security: detached leftovers of panes that are all gone have no one left to answer to. The watch
        // stops once they are gone and reaped.
        signalGroupsThenPids(unattributed, unattributedGroups, "SIGKILL");
        if (this.processes.killAdopted() === 0 && unattributed.length === 0) {
          clearInterval(this.processWatch);
          this.processWatch = undefined;
        }
        return;
      }
      if (limit === undefined) return;
      if (unattributedTasks > limit) {
        signalGroupsThenPids(unattributed, unattributedGroups, "SIGKILL");
        this.events.emit(
          "orphan-limit",
          unattributedTasks,
          limit,
          this.livePanes()
            .filter((pane) => !pane.sandboxed)
            .map((pane) => this.infoOf(pane)),
        );
      }
      for (const pane of this.livePanes()) {
        const processes = tasks.get(pane.id) ?? 0;
        if (processes <= limit || this.runaways.has(pane.id) || this.killing.has(pane.id)) continue;
        this.runaways.add(pane.id);
        this.events.emit("limit", this.infoOf(pane), processes, limit);
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
    // Security: maxExitedPanes counts per owner (each agent session, and the person), so one session's exited
    // panes never evict another's (an attack review: 40 exited panes of one session made a victim session's
    // own pane answer PANE_NOT_FOUND).
    const byOwner = new Map<string, Pane[]>();
    for (const pane of exited) {
      const key = pane.owner.kind === "agent" ? `agent:${pane.owner.session}` : "person";
      const panes = byOwner.get(key);
      if (panes) panes.push(pane);
      else byOwner.set(key, [pane]);
    }
    for (const panes of byOwner.values()) {
      for (const pane of panes.slice(0, Math.max(0, panes.length - this.limits.maxExitedPanes))) {
        this.panes.delete(pane.id);
        this.journals?.forget(pane.id);
        this.events.emit("evict", this.infoOf(pane));
        this.paneViewers.forget(pane.id);
        void pane.kill().finally(() => pane.dispose());
      }
    }
  }
}

function newPaneId(): string {
  // Security: ids are unguessable (96 random bits), so a pane cannot be named without being listed first.
  return `p-${randomBytes(12).toString("base64url")}`;
}

/** A pane as data (see PaneInfo), with who watches it. */
function paneInfo(pane: Pane, viewers: PaneViewers): PaneInfo {
  const lost = pane.screenLostNote;
  const behind = pane.screenBehindBytes;
  return {
    id: pane.id,
    name: pane.name,
    argv: pane.argv,
    cwd: pane.cwd,
    pid: pane.pid,
    owner: pane.owner,
    input: pane.input,
    sandboxed: pane.sandboxed,
    ...(pane.sessionDir !== undefined ? { sessionDir: pane.sessionDir } : {}),
    alive: pane.alive,
    exit: pane.exit,
    ...(pane.restored ? { reason: "daemon restarted" as const } : {}),
    ...(lost !== undefined ? { screenLost: lost } : {}),
    ...(behind > 0 ? { screenBehindBytes: behind } : {}),
    viewers: viewers.count(pane.id),
    personTyping: viewers.writing(pane.id),
    ...(pane.shell
      ? {
          shell: {
            dialect: pane.shell.dialect,
            cwd: pane.shell.cwd,
            busy: pane.shell.busy,
            keys: pane.shell.keys(),
          },
        }
      : {}),
  };
}

/**
 * The pane's screen text, or, when the screen thread has not answered by `deadline` (epoch ms; busy with other
 * panes' output), the text of the last snapshot taken.
 */
async function screenTextBy(pane: Pane, deadline: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  const fresh = pane.snapshot().then(
    (snapshot) => snapshot.text,
    () => undefined,
  );
  try {
    return (await Promise.race([fresh, late])) ?? pane.lastScreenText;
  } finally {
    clearTimeout(timer);
  }
}

/** A taken spare as a launch's part: the pane adopts its process, and ends it when the pane could not be made. */
function adopting(spare: SpareTaken): Pick<SandboxLaunch, "adopt" | "abandon"> {
  return { adopt: (handlers) => spare.adopt(handlers), abandon: () => spare.abandon() };
}
