import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { addon, PANE_LAUNCHER } from "../../native/addon.js";
import type { SandboxStatus } from "../../shared/pane-words.js";
import type { ShellDialect } from "../../shared/shell-variables.js";
import type { PtyHandlers, PtyProcess } from "../pty-process.js";
import type { SpareRecipe, SpareStart } from "../spare-launch.js";
import type { UserSwitch } from "../user-switch.js";
import { bwrapArgs, launcherHoldArgv } from "./bwrap-args.js";
import { ExitStatusPipe } from "./exit-status.js";
import {
  type Mount,
  type MountPlan,
  planMounts,
  planSpawn,
  type SandboxLayout,
  SandboxLayoutError,
} from "./mount-plan.js";
import { readingFor } from "./plan-reads.js";
import { type PlanWatch, PlanWatcher } from "./plan-watch.js";
import { buildSeccompFilter } from "./seccomp-filter.js";
import { fitOf, type PlanFit, stillFits } from "./spare-fit.js";
import { mountsAttached, spareMountPoints } from "./spare-mounts.js";

/** A sandboxed launch: exec `argv` passing `passFds` (inheritable), then `release()` in the parent. */
export interface SandboxLaunch {
  argv: string[];
  passFds: number[];
  /** What the mount plan could not protect (pane-safe sentences): reported with the spawn, never a refusal. */
  warnings: readonly string[];
  /** Where the program's real end is read from once bwrap exits; the pane owns it (closes it when disposed). */
  exitStatus: ExitStatusPipe;
  /** Closes the server's copies of the passed descriptors: call once the spawn has happened or failed. */
  release(): void;
  /**
   * A launch already running (a spare given its program, SpareLauncher): the pane takes its process
   * instead of starting `argv`, and gets what it printed so far and its exit through `handlers`.
   */
  adopt?(handlers: PtyHandlers): PtyProcess;
  /** Ends an adoptable launch that no pane took (the pane could not be made). */
  abandon?(): void;
}

export interface PaneSandboxOptions {
  /** Absolute path of bwrap, or undefined when it was not found. */
  bwrap: string | undefined;
  layout: SandboxLayout;
  network: boolean;
  /** A private (0700, ours) directory for the moment the seccomp program is handed over. */
  scratchDir: string;
  /** Under a root server: the unprivileged user panes run as. */
  userSwitch?: UserSwitch;
}

/** Programs that exit 0 at once, for the probe. */
const TRUE_PROGRAMS = ["/usr/bin/true", "/bin/true"];

/**
 * Builds bubblewrap launches for panes. Whether bwrap works is probed by running the real sandbox (same
 * mounts, same seccomp program) around `true`; a success is remembered, a failure is probed again next time
 * (the person may install bubblewrap while the server runs).
 */
export class PaneSandbox {
  private readonly filter: Buffer;
  private works = false;
  /** Watches what spares' plans read (opened with the first spare; undefined where inotify cannot be used). */
  private watcher: PlanWatcher | undefined | null = null;
  /** The plan the next spare is built from while its watch says nothing it read has changed. */
  private sparePlan: SparePlan | undefined;

  constructor(private readonly options: PaneSandboxOptions) {
    this.filter = buildSeccompFilter();
  }

  status(): SandboxStatus {
    const bwrap = this.options.bwrap;
    if (bwrap === undefined)
      return { available: false, reason: "bubblewrap (bwrap) is not installed on the server's PATH" };
    try {
      accessSync(bwrap, constants.X_OK);
    } catch {
      this.works = false;
      return { available: false, reason: `${bwrap} is no longer executable` };
    }
    if (this.works) return { available: true };
    const reason = this.probe(bwrap);
    this.works = reason === undefined;
    return reason === undefined ? { available: true } : { available: false, reason };
  }

  /**
   * The launch for `argv` in `cwd`, with `binds` (e.g. the pane's session directory) read-write; `shell`: a
   * validated shell's (its own process group in front, its non-dumpable builtin bound in). Throws
   * SandboxLayoutError when the workspace cannot be protected as the policy says.
   */
  launch(
    argv: readonly string[],
    cwd: string,
    binds: readonly string[] = [],
    options: { shell?: { dialect: ShellDialect; builtins: string } } = {},
  ): SandboxLaunch {
    const bwrap = this.options.bwrap;
    if (bwrap === undefined) throw new Error("bubblewrap is not available");
    const { mounts, warnings } = planSpawn(this.options.layout, binds);
    if (this.options.userSwitch) makeStandIns(mounts, true);
    const emptyFile = this.emptyFile();
    const fd = this.seccompDescriptor();
    let exitStatus: ExitStatusPipe;
    try {
      exitStatus = new ExitStatusPipe();
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return {
      argv: launcherHoldArgv(PANE_LAUNCHER, [
        bwrap,
        ...bwrapArgs({
          mounts,
          network: this.options.network,
          cwd,
          seccompFd: fd,
          program: { argv },
          emptyFile,
          userSwitch: this.options.userSwitch,
          launcher: { path: PANE_LAUNCHER, statusFd: exitStatus.writeFd },
          ...(options.shell ? { shell: options.shell } : {}),
        }),
      ]),
      passFds: [fd, exitStatus.writeFd],
      warnings,
      exitStatus,
      release: () => {
        closeSync(fd);
        exitStatus.releaseWriteEnd();
      },
    };
  }

  /**
   * How this sandbox's spares are made (SpareLauncher): the sandbox of a spawn without extra binds or shell,
   * built ahead with the launcher's `await` last. The stand-ins bwrap would make on the host are made first and
   * the plan made again, so that the spare's plan is the one a spawn after it finds. At the spawn the plan is made
   * again and the spare fits only when it is the same and every mounted path the same file (spare-fit.ts).
   */
  spare(): SpareRecipe {
    return {
      available: () => this.status().available,
      start: () => this.spareStart(),
    };
  }

  private spareStart(): SpareStart {
    const shared = this.currentSparePlan();
    shared.spares++;
    try {
      return this.spareFrom(shared);
    } catch (error) {
      this.releaseSparePlan(shared);
      throw error;
    }
  }

  /**
   * The plan for the next spare: the last one while its watch says nothing it read has changed (the plan made
   * now would be the same, so a refill costs no planning), else a new one. Everything a plan reads is watched
   * from before it is read (PlanWatch); stand-ins made on the host after a first plan are the spare's own
   * change, so the plan that counts is made again under a fresh watch.
   */
  private currentSparePlan(): SparePlan {
    const last = this.sparePlan;
    if (last?.watch?.unchanged()) return last;
    const layout = this.options.layout;
    if (this.watcher === null) this.watcher = PlanWatcher.open();
    let watch = this.watcher?.watchPlan();
    let plan = planWatched(layout, watch);
    if (makeStandIns(plan.mounts, this.options.userSwitch !== undefined)) {
      watch?.close();
      watch = this.watcher?.watchPlan();
      plan = planWatched(layout, watch);
    }
    const made: SparePlan = { plan, fit: fitOf(plan), watch, spares: 0 };
    this.sparePlan = made;
    if (last) this.releaseSparePlan(last, 0);
    return made;
  }

  /** A spare built from `shared` is taken or ended (`count` 1), or the plan replaced (0): unwatched once unused. */
  private releaseSparePlan(shared: SparePlan, count = 1): void {
    shared.spares -= count;
    if (shared.spares <= 0 && shared !== this.sparePlan) shared.watch?.close();
  }

  /** A spare built from `shared` (SparePlan). */
  private spareFrom(shared: SparePlan): SpareStart {
    const bwrap = this.options.bwrap;
    if (bwrap === undefined) throw new Error("bubblewrap is not available");
    const layout = this.options.layout;
    const { plan, fit, watch } = shared;
    const emptyFile = this.emptyFile();
    const fd = this.seccompDescriptor();
    let exitStatus: ExitStatusPipe;
    let request: [number, number];
    try {
      exitStatus = new ExitStatusPipe();
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    try {
      // The launcher's reads block until the program is sent.
      request = addon.makePipe(false);
    } catch (error) {
      closeSync(fd);
      exitStatus.close();
      throw error;
    }
    const [requestRead, requestWrite] = request;
    let disposed = false;
    return {
      argv: launcherHoldArgv(PANE_LAUNCHER, [
        bwrap,
        ...bwrapArgs({
          mounts: plan.mounts,
          network: this.options.network,
          cwd: "/",
          seccompFd: fd,
          program: { requestFd: requestRead },
          emptyFile,
          userSwitch: this.options.userSwitch,
          launcher: { path: PANE_LAUNCHER, statusFd: exitStatus.writeFd },
        }),
      ]),
      passFds: [fd, exitStatus.writeFd, requestRead],
      requestFd: requestWrite,
      exitStatus,
      release: () => {
        closeSync(fd);
        closeSync(requestRead);
        exitStatus.releaseWriteEnd();
      },
      fits: (pid) => {
        // Security: when nothing the spare's plan read has changed, nor the mount table, the plan made now is the
        // same, bound to the same files (PlanWatch): the spare fits as it is. Otherwise the plan is made again
        // and must be the same, every mounted path the same file and still mounted in the spare.
        if (watch?.unchanged()) return plan;
        const now = planSpawn(layout, []);
        if (!stillFits(fit, now)) return undefined;
        const points = spareMountPoints(pid);
        return points !== undefined && mountsAttached(now.mounts, points) ? now : undefined;
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.releaseSparePlan(shared);
      },
    };
  }

  /** Removes what the sandbox keeps in its scratch directory (the empty stand-in file), at server stop. */
  dispose(): void {
    this.watcher?.close();
    rmSync(join(this.options.scratchDir, "empty"), { force: true });
  }

  /**
   * A fresh read descriptor holding the seccomp program at offset 0 (bwrap reads it to the end, and a shared
   * offset would leave the next pane an empty program). The file is unlinked at once: nothing stays on disk.
   */
  private seccompDescriptor(): number {
    const path = join(this.options.scratchDir, `seccomp-${randomBytes(8).toString("hex")}.bpf`);
    writeFileSync(path, this.filter, { flag: "wx", mode: 0o600 });
    try {
      return openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } finally {
      unlinkSync(path);
    }
  }

  /** The empty file hidden files are covered with, (re)made when missing or no longer empty. */
  private emptyFile(): string {
    const path = join(this.options.scratchDir, "empty");
    const stat = (() => {
      try {
        return lstatSync(path);
      } catch {
        return undefined;
      }
    })();
    // Readable by all (it is empty): a root server's pane user must read a hidden file as empty, not EACCES.
    if (stat?.isFile() && stat.size === 0 && (stat.mode & 0o777) === 0o444) return path;
    rmSync(path, { force: true, recursive: true });
    writeFileSync(path, "", { flag: "wx", mode: 0o444 });
    chmodSync(path, 0o444);
    return path;
  }

  /** Runs `true` in the full sandbox; undefined when it worked, else bwrap's complaint. */
  private probe(bwrap: string): string | undefined {
    const trueProgram = TRUE_PROGRAMS.find((path) => existsSync(path));
    const cwd = this.options.layout.workspace[0];
    if (trueProgram === undefined || cwd === undefined) return "no `true` program or workspace to probe with";
    let fd: number;
    let args: string[];
    try {
      fd = this.seccompDescriptor();
      args = bwrapArgs({
        // What the machine can do, not how this workspace looks: a protection that cannot hold is refused at
        // launch (SANDBOX_UNAVAILABLE), never taken for a missing sandbox that `auto` would run without.
        mounts: planMounts(this.options.layout, [], { protections: false }),
        network: this.options.network,
        cwd,
        seccompFd: 3,
        program: { argv: [trueProgram] },
        emptyFile: this.emptyFile(),
        userSwitch: this.options.userSwitch,
        launcher: { path: PANE_LAUNCHER, statusFd: 4 },
      });
    } catch (error) {
      return error instanceof SandboxLayoutError
        ? error.message
        : `cannot prepare the sandbox: ${(error as Error).message}`;
    }
    try {
      // spawnSync dup2s the descriptor onto fd 3 of the child, which clears close-on-exec there; fd 4 is the
      // launcher's status pipe. The launch is the panes' own: launcher `hold`, bwrap, launcher `run`, `true`.
      const [file, ...rest] = launcherHoldArgv(PANE_LAUNCHER, [bwrap, ...args]);
      const run = spawnSync(file as string, rest, {
        stdio: ["ignore", "ignore", "pipe", fd, "pipe"],
        encoding: "utf8",
        timeout: 10_000,
        env: {},
      });
      if (run.error) return `bwrap (through the pane launcher) could not run: ${run.error.message}`;
      if (run.status === 0 && run.output[4] === "exit 0\n") return undefined;
      if (run.status === 0) return "the pane launcher did not report the program's exit status";
      const said = (run.stderr ?? "").trim().split("\n")[0]?.slice(0, 200);
      return `bwrap failed (status ${run.status ?? run.signal}): ${said || "no message"}`;
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * A plan spares are built from: its fit (what each mounted path was when it was made), the watch on what it read,
 * and how many spares built from it are not yet taken or ended.
 */
interface SparePlan {
  readonly plan: MountPlan;
  readonly fit: PlanFit;
  readonly watch: PlanWatch | undefined;
  spares: number;
}

/** The plan of a spawn without extra binds, its reads watched first by `watch` when there is one. */
function planWatched(layout: SandboxLayout, watch: PlanWatch | undefined): MountPlan {
  return watch ? readingFor(watch, () => planSpawn(layout, [])) : planSpawn(layout, []);
}

/**
 * A stand-in (an empty read-only directory where a protected one is missing) needs a mount point, which bwrap
 * makes on the host. Run by a root server it would be root's: an empty `.vscode` in the person's workspace
 * they could no longer write into. Made here first, with `asOwner` owned like the directory it is made in.
 * Returns whether any was made.
 */
function makeStandIns(mounts: readonly Mount[], asOwner: boolean): boolean {
  let made = false;
  for (const mount of mounts) {
    if (mount.op !== "ro-empty" || existsSync(mount.path)) continue;
    try {
      const parent = statSync(dirname(mount.path));
      mkdirSync(mount.path, { mode: 0o755 });
      made = true;
      if (asOwner) chownSync(mount.path, parent.uid, parent.gid);
    } catch {
      // bwrap makes it then, as before
    }
  }
  return made;
}
