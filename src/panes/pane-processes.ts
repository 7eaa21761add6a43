import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { addon } from "../native/addon.js";
import {
  type ProcessEntry,
  readProcesses,
  readStat,
  signalMasks,
  standardTerminals,
  trySignal,
} from "./process-session.js";

/** A pane's first process: the program, or the outer bwrap of a sandboxed pane. */
interface PaneRoot {
  pid: number;
  /** Start time of the root (see ProcessEntry.start); "" when it was gone before we could read it. */
  start: string;
  sandboxed: boolean;
  /** The pane's terminal device, learnt from the root's controlling terminal. */
  tty: number;
  /**
   * The root's session id still names the pane's session: true until a look finds the root gone (reaped, or its
   * pid someone else's) and no process left in that session, false from then on (see scan).
   */
  session: boolean;
}

/**
 * Which processes belong to which pane: everything the pane started, however it detached.
 *
 * Security: `setsid` (or a double fork) once took processes out of the pane's session, and with it out of
 * limits.maxProcesses and out of the kill sweep (issue 9: 41 ran under a limit of 8). Membership is now by
 * parent chain, not by session:
 * - a sandboxed pane's root is bwrap, whose child is the init of the pane's PID namespace: an orphan in there
 *   is reparented to that init (or to a subreaper that is itself a descendant), so the descendants of the
 *   root are the whole namespace, and nothing inside can leave it (new namespaces need privileges the pane
 *   does not have);
 * - an unsandboxed pane's orphans are reparented to the nearest subreaper. With `adopting`, this process
 *   made itself one (PR_SET_CHILD_SUBREAPER), so they come to the server, not to init, and are attributed
 *   back: a process once seen as a member stays one (pid and start time remembered); else one still in the
 *   pane's session; else one whose stdin/stdout/stderr is the pane's terminal; else, when only one
 *   unsandboxed pane had processes left at the last look, that pane's. What is left (detached, terminal
 *   closed, parent gone within the 250 ms between two looks, while several unsandboxed panes run) is
 *   `unattributed`: the host bounds and kills that pool on its own rather than charge a pane, the person's
 *   perhaps, with another pane's processes. Adopted orphans that exit are reaped here (nothing else waits
 *   for them).
 * Without `adopting` (tests embedding a host), orphans go to init and only the remembered ones are kept.
 */
export class PaneProcesses {
  private readonly roots = new Map<string, PaneRoot>();
  /** Pids of pane roots not yet reaped by node-pty: never reaped here. */
  private readonly unreapedRoots = new Set<number>();
  /** Panes that had a live process at the last look: only these can have left an orphan since. */
  private active = new Set<string>();
  /** Members seen before, by pid: their start time and pane. */
  private readonly known = new Map<number, { start: string; pane: string }>();
  /**
   * Process groups seen holding only one pane's processes, by group id. A group id is not reused while any
   * process, zombies included, is in the group; one that no process holds at a look is forgotten.
   */
  private readonly knownGroups = new Map<number, string>();
  private readonly self = process.pid;
  private readonly ownGroup = readStat(process.pid)?.pgrp ?? process.pid;

  /**
   * @param adopting make this process a child subreaper and reap the orphans it adopts. Only for a process whose
   *   other children are waited for synchronously (spawnSync): a reap here would steal an async child's exit.
   *   Throws EPRCTL when the kernel refuses.
   */
  constructor(readonly adopting = false) {
    if (adopting) addon.setChildSubreaper();
  }

  /** Starts tracking a pane whose root process is `pid` (call right after it was started). */
  add(pane: string, pid: number, sandboxed: boolean): void {
    const stat = readStat(pid);
    this.roots.set(pane, { pid, start: stat?.start ?? "", sandboxed, tty: stat?.tty ?? 0, session: true });
    this.unreapedRoots.add(pid);
  }

  /**
   * Keeps `pid`, a child of this process that is no pane's yet (a spare sandbox, issue 16), out of the adopted
   * orphans: never charged to a pane, killed as a leftover or reaped here. add() makes it a pane's root;
   * rootReaped() forgets it.
   */
  reserve(pid: number): void {
    this.unreapedRoots.add(pid);
  }

  /**
   * Sends `signal` to the pane's own process group (the root's: node-pty makes it a session and group leader) while
   * the root is still its own, alive or exited but unreaped; false otherwise or when it could not be sent.
   * Security: node-pty reaps the root at once but reports the exit only once the terminal's output has drained, which
   * a detached process that keeps writing holds off for as long as it likes; meanwhile the root's pid is free. An
   * attack review cycled the kernel's pids until a person's new process (a group leader) had it, and kill_pane
   * SIGKILLed that process group. The root's start time names it; a pid reused after the look is left to a
   * microsecond window.
   */
  signalRootGroup(pane: string, signal: NodeJS.Signals): boolean {
    const root = this.roots.get(pane);
    if (!root || root.start === "" || readStat(root.pid)?.start !== root.start) return false;
    return trySignal(-root.pid, signal);
  }

  /**
   * The root process was reaped (its exit was reported): its pid may now be anyone's, and so may its session id once
   * that session is empty, which is looked at now (see scan).
   */
  rootReaped(pid: number): void {
    this.unreapedRoots.delete(pid);
    const roots = [...this.roots.values()].filter((root) => root.pid === pid && root.session);
    if (roots.length === 0) return;
    for (const entry of readProcesses().values()) if (entry.session === pid && !entry.zombie) return;
    for (const root of roots) root.session = false;
  }

  /** Stops tracking a pane (after its kill sweep) and forgets its members. */
  remove(pane: string): void {
    this.roots.delete(pane);
    for (const [pid, member] of this.known) if (member.pane === pane) this.known.delete(pid);
    for (const [group, owner] of this.knownGroups) if (owner === pane) this.knownGroups.delete(group);
  }

  /**
   * The process group in front on the pane's terminal (what a C-c from the keyboard reaches), numbered in this
   * PID namespace, or undefined when there is none or the root is gone.
   * Security: the number is read from the root's /proc stat and only returned while a live process of the root's
   * session is in that group, so a group id the kernel freed and reused for someone else's is not named.
   */
  foregroundGroup(
    pane: string,
    table: ReadonlyMap<number, ProcessEntry> = readProcesses(),
  ): number | undefined {
    const root = this.roots.get(pane);
    if (!root) return undefined;
    const stat = readStat(root.pid);
    if (!stat || stat.start !== root.start || stat.zombie || stat.tpgid <= 0) return undefined;
    for (const entry of table.values()) {
      if (entry.pgrp === stat.tpgid && entry.session === root.pid && !entry.zombie) return stat.tpgid;
    }
    return undefined;
  }

  /**
   * The process group in front (see foregroundGroup) and whether it ignores `signal` (see groupIgnores), from one
   * pass over /proc; undefined when there is none.
   */
  front(pane: string, signal: NodeJS.Signals): { group: number; ignores: boolean } | undefined {
    const table = readProcesses();
    const group = this.foregroundGroup(pane, table);
    return group === undefined
      ? undefined
      : { group, ignores: this.groupIgnores(pane, group, signal, table) };
  }

  /**
   * Whether `signal` would do nothing to process group `group` of the pane's session: each of its live processes
   * blocks or ignores it, and one at least ignores it (a shell at its prompt ignores SIGTERM; the sandbox's own
   * processes in that group block every signal). False when the group has no live process of the pane's session.
   */
  groupIgnores(
    pane: string,
    group: number,
    signal: NodeJS.Signals,
    table: ReadonlyMap<number, ProcessEntry> = readProcesses(),
  ): boolean {
    const root = this.roots.get(pane);
    const number = osConstants.signals[signal];
    if (!root || number === undefined || group <= 0) return false;
    const bit = 1n << BigInt(number - 1);
    let ignoring = false;
    for (const entry of table.values()) {
      if (entry.pgrp !== group || entry.zombie) continue;
      if (entry.session !== root.pid) return false;
      const masks = signalMasks(entry.pid);
      if (masks === undefined) continue; // gone meanwhile
      if ((masks.ignored & bit) !== 0n) ignoring = true;
      else if ((masks.blocked & bit) === 0n) return false;
    }
    return ignoring;
  }

  /**
   * Whether a pane's program has been started, so that a signal reaches it. A sandboxed pane's: the launcher (see
   * sandboxOwn) has a child; until then the pane's processes are all the sandbox's own, which block every signal.
   * An unsandboxed pane's: its first process has exec'd (see execed). True once the pane's process is gone.
   */
  programStarted(pane: string): boolean {
    const root = this.roots.get(pane);
    if (!root) return true;
    if (!root.sandboxed) return execed(root.pid);
    const table = readProcesses();
    const rootEntry = table.get(root.pid);
    if (!rootEntry || rootEntry.start !== root.start || rootEntry.zombie) return true;
    const children = childrenOf(table);
    const own = sandboxOwn(root.pid, children, table);
    const launcher = [...own].find((pid) => pid !== root.pid && !children.get(root.pid)?.includes(pid));
    return launcher !== undefined && (children.get(launcher) ?? []).length > 0;
  }

  /**
   * SIGKILLs every process this subreaper adopted (its children that are no pane's root and no spare) and reaps
   * them, pass after pass, until none is left or `ms` pass; returns how many are left. Synchronous: nothing else
   * runs meanwhile. For the pool of orphans no pane is left to answer for (at shutdown; when no pane is left).
   * Security: a process that leaves its session at every step, not once, has a new group too, so no group signal
   * reaches it (see scan). But each step's process is this subreaper's child once its parent exits, and the
   * children list names it (/proc/<pid>/task/<tid>/children, with no table to read): a pass is a few
   * microseconds, and a SIGKILL that lands before its fork completes leaves no child (the kernel restarts no
   * fork with a fatal signal pending). A child is listed until we reap it here, so its pid names no one else.
   */
  killAdopted(ms = 250): number {
    if (!this.adopting) return 0;
    const deadline = performance.now() + ms;
    for (;;) {
      const adopted = ownChildren().filter((pid) => !this.unreapedRoots.has(pid));
      if (adopted.length === 0 || performance.now() > deadline) return adopted.length;
      for (const pid of adopted) trySignal(pid, "SIGKILL");
      for (const pid of adopted) addon.reapChild(pid);
    }
  }

  /**
   * Whether every orphan this subreaper adopted can only be `pane`'s: it is unsandboxed and no other unsandboxed
   * pane had a process at the last look (the rule that attributes an orphan with nothing else to tell, see scan).
   */
  soleAdopter(pane: string): boolean {
    const root = this.roots.get(pane);
    if (!this.adopting || !root || root.sandboxed) return false;
    for (const [other, otherRoot] of this.roots) {
      if (other !== pane && !otherRoot.sandboxed && this.active.has(other)) return false;
    }
    return true;
  }

  /** Live (not zombie) processes of one pane, including its root while it lives. */
  membersOf(pane: string): number[] {
    return this.scan().panes.get(pane) ?? [];
  }

  /**
   * What to signal to end one pane's processes, from one look: its live members (see membersOf) and the process
   * groups that hold its processes and no one else's (see scan's `groups`).
   */
  holdingsOf(pane: string): { pids: number[]; groups: number[] } {
    const look = this.scan();
    return { pids: look.panes.get(pane) ?? [], groups: look.groups.get(pane) ?? [] };
  }

  /**
   * Live processes of every tracked pane, and adopted ones no pane can be named for (with their descendants),
   * from one pass over /proc, with how many pids each set holds (tasks: processes, their threads, and a pane's
   * exited processes its own processes have not waited for, which keep theirs) — for a
   * sandboxed pane, not counting the sandbox's own three (see sandboxOwn), so a limit means the same with and
   * without the sandbox. Reaps adopted orphans that exited.
   *
   * `groups` (and `unattributedGroups` for the pool) are the process groups whose every live process is one of
   * that pane's (or the pool's), and that a member or an exited orphan of it was seen in.
   * Security: a process that leaves its session once and then forks and exits at every step has a new pid each
   * millisecond: a look often misses it, and a SIGKILL by pid finds the pid gone (an attack review kept one alive
   * past kill_pane, maxProcesses and the server's exit). Its group stays, and so does the trail of exited orphans
   * it leaves this subreaper, each in that group: a signal to the group ends it at once.
   */
  scan(): {
    panes: Map<string, number[]>;
    tasks: Map<string, number>;
    groups: Map<string, number[]>;
    unattributed: number[];
    unattributedTasks: number;
    unattributedGroups: number[];
  } {
    const table = readProcesses();
    const children = childrenOf(table);
    const rootPids = new Set([...this.roots.values()].map((root) => root.pid));
    const seeds = new Map<string, Set<number>>();
    for (const [pane, root] of this.roots) {
      const seed = new Set<number>();
      const rootEntry = table.get(root.pid);
      const rootAlive = rootEntry !== undefined && rootEntry.start === root.start && !rootEntry.zombie;
      if (rootAlive) {
        seed.add(root.pid);
        if (root.tty === 0) root.tty = rootEntry.tty;
      }
      // Security: a session id is the pid of its first process, and is not reused while a process is in that
      // session. Once the root is reaped and its session empty, the number is free: an attack review had a person's
      // daemon take it (new pid, setsid, its leader gone), and the exited pane's kill_pane, process limit and the
      // server's exit SIGKILLed every process of that daemon. So the session counts only while the root is
      // unreaped, or while every look since has found it held; once a look finds it empty, never again.
      const rootOwn = rootEntry !== undefined && rootEntry.start === root.start;
      if (rootEntry !== undefined && !rootOwn) root.session = false;
      if (root.session) {
        let held = false;
        for (const entry of table.values()) {
          if (entry.session !== root.pid) continue;
          seed.add(entry.pid);
          held = true;
        }
        if (!rootOwn && !held) root.session = false;
      }
      seeds.set(pane, seed);
    }
    for (const [pid, member] of this.known) {
      const entry = table.get(pid);
      if (entry?.start === member.start) seeds.get(member.pane)?.add(pid);
      else this.known.delete(pid);
    }
    // Exited processes seen (adopted ones are reaped below), with the pane they were its: their groups are evidence.
    const exited = new Map<number, string | undefined>();
    const unattributed = this.adopting
      ? this.attributeAdopted(
          table,
          children,
          rootPids,
          seeds,
          exited,
          this.groupsSeen(seeds, children, table),
        )
      : new Set<number>();

    const members = new Map<string, number[]>();
    // Security: a zombie holds its pid until its parent waits for it. An attack review filled a pane with 1 200
    // unreaped children under a limit of 64, sandboxed or not; enough of them take every pid on the host.
    const zombies = new Map<string, number>();
    for (const [pane, seed] of seeds) {
      const all = descendants(seed, children);
      for (const pid of all) {
        const entry = table.get(pid);
        if (!entry?.zombie) continue;
        exited.set(pid, pane);
        // Security: a process whose main thread exited shows as a zombie while its other threads run (an attack
        // review ran 200 that way under a limit of 20): its threads count, at least its own pid.
        zombies.set(pane, (zombies.get(pane) ?? 0) + Math.max(1, entry.threads));
      }
      const found = all.filter((pid) => table.get(pid)?.zombie === false);
      members.set(pane, found);
      for (const pid of found) {
        const start = table.get(pid)?.start;
        if (start !== undefined && !this.known.has(pid)) this.known.set(pid, { start, pane });
      }
    }
    this.active = new Set([...members].filter(([, pids]) => pids.length > 0).map(([pane]) => pane));
    const tasks = (pids: readonly number[]): number =>
      pids.reduce((sum, pid) => sum + (table.get(pid)?.threads ?? 1), 0);
    const pool = descendants(unattributed, children).filter((pid) => table.get(pid)?.zombie === false);
    const programTasks = (pane: string, pids: readonly number[]): number => {
      const root = this.roots.get(pane);
      if (!root?.sandboxed) return tasks(pids);
      const own = sandboxOwn(root.pid, children, table);
      return tasks(pids.filter((pid) => !own.has(pid)));
    };
    const groups = this.groupsHeld(table, members, pool, exited);
    return {
      panes: members,
      tasks: new Map(
        [...members].map(([pane, pids]) => [pane, programTasks(pane, pids) + (zombies.get(pane) ?? 0)]),
      ),
      groups: groups.panes,
      unattributed: pool,
      unattributedTasks: tasks(pool),
      unattributedGroups: groups.pool,
    };
  }

  /**
   * The process groups that hold one pane's processes (or the pool's) and nobody else's: each group a live member or
   * an exited orphan of that pane was seen in, whose live processes are all that pane's. Never this process's own
   * group. Updates knownGroups.
   */
  private groupsHeld(
    table: ReadonlyMap<number, ProcessEntry>,
    members: ReadonlyMap<string, readonly number[]>,
    pool: readonly number[],
    exited: ReadonlyMap<number, string | undefined>,
  ): { panes: Map<string, number[]>; pool: number[] } {
    const POOL = "";
    const holder = new Map<number, string>();
    for (const [pane, pids] of members) for (const pid of pids) holder.set(pid, pane);
    for (const pid of pool) holder.set(pid, POOL);
    // Each group's candidate owner, from where its processes were seen; undefined once two owners meet in it.
    const owners = new Map<number, string | undefined>();
    const note = (group: number | undefined, owner: string): void => {
      if (group === undefined || group <= 1 || group === this.ownGroup) return;
      owners.set(group, owners.has(group) && owners.get(group) !== owner ? undefined : owner);
    };
    for (const [pid, owner] of holder) note(table.get(pid)?.pgrp, owner);
    for (const [pid, owner] of exited) note(table.get(pid)?.pgrp, owner ?? POOL);
    // Security: a group with a live process that is no one's here (or another pane's) is never signalled.
    const held = new Set<number>();
    for (const entry of table.values()) {
      held.add(entry.pgrp);
      if (entry.zombie || !owners.has(entry.pgrp)) continue;
      if (holder.get(entry.pid) !== owners.get(entry.pgrp)) owners.set(entry.pgrp, undefined);
    }
    for (const group of this.knownGroups.keys()) if (!held.has(group)) this.knownGroups.delete(group);
    const panes = new Map<string, number[]>();
    const poolGroups: number[] = [];
    for (const [group, owner] of owners) {
      if (owner === undefined) continue;
      if (owner === POOL) {
        poolGroups.push(group);
        continue;
      }
      this.knownGroups.set(group, owner);
      const list = panes.get(owner);
      if (list) list.push(group);
      else panes.set(owner, [group]);
    }
    return { panes, pool: poolGroups };
  }

  /**
   * Which pane each process group belongs to, as far as this look and the last ones tell: the groups of each pane's
   * seeds and their descendants, zombies included (a group seen in two panes' is no one's), else knownGroups.
   */
  private groupsSeen(
    seeds: ReadonlyMap<string, ReadonlySet<number>>,
    children: ReadonlyMap<number, number[]>,
    table: ReadonlyMap<number, ProcessEntry>,
  ): (group: number) => string | undefined {
    const seen = new Map<number, string | undefined>();
    for (const [pane, seed] of seeds) {
      for (const pid of descendants(seed, children)) {
        const group = table.get(pid)?.pgrp;
        if (group === undefined) continue;
        seen.set(group, seen.has(group) && seen.get(group) !== pane ? undefined : pane);
      }
    }
    return (group) => (seen.has(group) ? seen.get(group) : this.knownGroups.get(group));
  }

  /**
   * Seeds each orphan the server adopted into its pane (see the class comment) and reaps the exited ones.
   * Returns the orphans no pane can be named for.
   */
  private attributeAdopted(
    table: Map<number, ProcessEntry>,
    children: Map<number, number[]>,
    rootPids: ReadonlySet<number>,
    seeds: Map<string, Set<number>>,
    exited: Map<number, string | undefined>,
    groupOwner: (group: number) => string | undefined,
  ): Set<number> {
    const unattributed = new Set<number>();
    // Those that could have left an orphan: unsandboxed, with a process alive now or at the last look.
    const unsandboxed = [...this.roots].filter(
      ([pane, root]) => !root.sandboxed && (this.active.has(pane) || (seeds.get(pane)?.size ?? 0) > 0),
    );
    const seeded = new Map<number, string>();
    for (const [pane, seed] of seeds) for (const pid of seed) seeded.set(pid, pane);
    for (const pid of children.get(this.self) ?? []) {
      const entry = table.get(pid);
      if (!entry || rootPids.has(pid) || this.unreapedRoots.has(pid)) continue;
      if (seeded.has(pid) && !entry.zombie) continue;
      // Security: a process group lies within one session, which no process can join from outside: an orphan in a
      // group of the pane's is the pane's, however many panes could have left it.
      const byGroup = seeded.get(pid) ?? groupOwner(entry.pgrp);
      const terminals = byGroup === undefined && !entry.zombie ? standardTerminals(pid) : [];
      const byTerminal = [...this.roots].filter(([, root]) => root.tty !== 0 && terminals.includes(root.tty));
      const owner =
        byGroup !== undefined && this.roots.has(byGroup)
          ? byGroup
          : byTerminal.length === 1
            ? byTerminal[0]?.[0]
            : unsandboxed.length === 1
              ? unsandboxed[0]?.[0]
              : undefined;
      if (entry.zombie) {
        // Its group is evidence (see groupsHeld) before the reap frees its pid.
        exited.set(pid, owner);
        addon.reapChild(pid);
      } else if (owner !== undefined) seeds.get(owner)?.add(pid);
      else unattributed.add(pid);
    }
    return unattributed;
  }
}

/** This process's children, from each of its threads' children list (CONFIG_PROC_CHILDREN); [] when unreadable. */
function ownChildren(): number[] {
  const found: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync("/proc/self/task");
  } catch {
    return found;
  }
  for (const task of tasks) {
    try {
      for (const word of readFileSync(`/proc/self/task/${task}/children`, "latin1").split(" ")) {
        const pid = Number(word);
        if (Number.isInteger(pid) && pid > 0) found.push(pid);
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  return found;
}

/** Each pid's children in `table`. */
function childrenOf(table: ReadonlyMap<number, ProcessEntry>): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of table.values()) {
    const siblings = children.get(entry.ppid);
    if (siblings) siblings.push(entry.pid);
    else children.set(entry.ppid, [entry.pid]);
  }
  return children;
}

/**
 * A sandboxed pane's own processes, which run no code of the pane's: bwrap (the root), its one child (the PID
 * namespace's init) and init's first child, the launcher that waits for the program (native/pane-launcher.c).
 * The launcher is the oldest of init's children (by start time, then pid): orphans init adopts started later. A
 * program that made the launcher's place its own would be spared at most this one process from the count.
 */
function sandboxOwn(
  root: number,
  children: ReadonlyMap<number, number[]>,
  table: ReadonlyMap<number, ProcessEntry>,
): Set<number> {
  const own = new Set([root]);
  for (const init of children.get(root) ?? []) {
    own.add(init);
    const first = (children.get(init) ?? [])
      .map((pid) => ({ pid, start: Number(table.get(pid)?.start ?? Number.POSITIVE_INFINITY) }))
      .sort((a, b) => a.start - b.start || a.pid - b.pid)[0];
    if (first) own.add(first.pid);
  }
  return own;
}

/** `seeds` and all their descendants in `table`, zombies included. */
function descendants(seeds: ReadonlySet<number>, children: ReadonlyMap<number, number[]>): number[] {
  const seen = new Set<number>();
  const queue = [...seeds];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    for (const child of children.get(pid) ?? []) queue.push(child);
  }
  return [...seen];
}

/** This process's executable, which a pane's first process runs until it has exec'd its program. */
const OWN_EXECUTABLE = (() => {
  try {
    return realpathSync(process.execPath);
  } catch {
    return process.execPath;
  }
})();

/**
 * Whether `pid` has exec'd (it no longer runs this process's executable), or is gone. Until then it is node-pty's
 * fork of this process, with this process's signal handlers: a SIGTERM sent then is caught and lost, and kill_pane
 * right after spawn waited out the grace for SIGKILL (signal 9 instead of 15).
 */
function execed(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`) !== OWN_EXECUTABLE;
  } catch {
    return true;
  }
}
