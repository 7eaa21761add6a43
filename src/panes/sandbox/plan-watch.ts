import { closeSync, constants, lstatSync, openSync, readlinkSync, type Stats, statfsSync } from "node:fs";
import { basename, dirname } from "node:path";
import { addon } from "../../native/addon.js";
import { type PlanReader, readRegularFile } from "./plan-reads.js";

// inotify(7) bits (Linux ABI).
const IN_MODIFY = 0x2;
const IN_ATTRIB = 0x4;
const IN_CLOSE_WRITE = 0x8;
const IN_MOVED_FROM = 0x40;
const IN_MOVED_TO = 0x80;
const IN_CREATE = 0x100;
const IN_DELETE = 0x200;
const IN_DELETE_SELF = 0x400;
const IN_MOVE_SELF = 0x800;
const IN_ONLYDIR = 0x1000000;
const IN_DONT_FOLLOW = 0x2000000;
const IN_Q_OVERFLOW = 0x4000;
const IN_IGNORED = 0x8000;
const IN_MASK_ADD = 0x20000000;
const IN_ISDIR = 0x40000000;
/** struct inotify_event before its name: wd, mask, cookie, len. */
const EVENT_HEADER_BYTES = 16;

/** What changes a directory's names or a name's file: made, removed, moved in or out, its mode or owner. */
const DIRECTORY_EVENTS =
  IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
/** What changes a file's content, mode, links or place. */
const CONTENT_EVENTS = IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;

/**
 * At most this many inotify watches on one instance (the uid's max_user_watches, often 8 192 or more, is shared
 * with the person's editors and file watchers); a plan that needs more is not watched, and its spare is checked by
 * planning again.
 */
export const MAX_PLAN_WATCHES = 2048;
/** Symlinks followed in one lookup, as the kernel allows (MAXSYMLINKS): past it the plan is not watched. */
const MAX_LINKS = 40;
/**
 * Files the plan read are kept and read again at each check while they hold at most this much in all (UTF-16
 * units): past it (a pane can make 300 repositories with large configs) the plan is not watched.
 */
const MAX_REREAD_CHARS = 1024 * 1024;

/**
 * File systems (statfs f_type, linux/magic.h) where every change to a name, mode or file reaches inotify, because
 * every change is made through this kernel: ext2/3/4, XFS, Btrfs, tmpfs, ramfs, overlayfs, F2FS, ZFS, bcachefs,
 * ReiserFS, JFS, NILFS, and the read-only SquashFS and EROFS. Not procfs or sysfs (a `/proc/<pid>/cwd` link
 * changes with a `cd`, and no event says so), nor network or FUSE file systems (another machine or a daemon
 * changes them unseen).
 */
const WATCHABLE_FILE_SYSTEMS: ReadonlySet<number> = new Set([
  0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x858458f6, 0x794c7630, 0xf2f52010, 0x2fc12fc1, 0xca451a4e,
  0x52654973, 0x3153464a, 0x3434, 0x73717368, 0xe0f5e1e2,
]);

/**
 * Whether changes in directory `path` all reach inotify by name: on a WATCHABLE_FILE_SYSTEMS file system, and not
 * case-folded (there `claude.md` is made under a name the plan looked up as `CLAUDE.md`).
 */
function watchableDirectory(path: string): boolean {
  let type: number;
  try {
    type = statfsSync(path).type;
  } catch {
    return false;
  }
  return WATCHABLE_FILE_SYSTEMS.has(type) && addon.caseFolded(path) === 0;
}

/** What one watched inode's events are read for, by one plan. */
interface Watched {
  /** Names in it that a lookup went through. */
  readonly names: Set<string>;
  /** Every name in it matters (a listing of all its entries). */
  all: boolean;
  /** Its subdirectories' names matter (a listing of which entries are directories). */
  directories: boolean;
}

/** Where a lookup led: a real path (no symlink on it) and whether it is a directory. */
interface Found {
  path: string;
  directory: boolean;
}

/**
 * One inotify instance, and the mount table, shared by the plans watched on it (PlanWatch): the queued events are
 * read once and handed to every plan still watched. One instance for all: closing an instance makes the next
 * watches on the same files wait for the kernel to free the old ones (a plan took 15 ms instead of 3).
 * Watches are never removed (the kernel drops those of deleted files); a plan adding a watch on a file already
 * watched gets the same descriptor, so plans share them.
 */
export class PlanWatcher {
  private readonly fd: number;
  private readonly mountTable: number;
  private readonly plans = new Set<PlanWatch>();
  /** Descriptors in use on the instance (the kernel's count, less those it dropped: IN_IGNORED). */
  private readonly descriptors = new Set<number>();
  private closed = false;

  /** A watcher, or undefined where inotify cannot be used (max_user_instances, no /proc). */
  static open(): PlanWatcher | undefined {
    try {
      return new PlanWatcher();
    } catch {
      return undefined;
    }
  }

  private constructor() {
    this.fd = addon.watchOpen();
    try {
      // Node opens every file close-on-exec.
      this.mountTable = openSync("/proc/self/mountinfo", constants.O_RDONLY);
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
  }

  /** A watch for a plan about to be made: it gets every event queued from now on. */
  watchPlan(): PlanWatch {
    this.drain();
    const plan = new PlanWatch(this);
    if (this.closed) plan.incomplete();
    else this.plans.add(plan);
    return plan;
  }

  /**
   * Adds `mask` to the watch on `path`: its descriptor, or minus errno (ENOSPC past MAX_PLAN_WATCHES; EXDEV for a
   * directory whose changes do not all reach inotify: watchableDirectory).
   */
  add(path: string, mask: number): number {
    if (this.closed) return -1;
    // Security: an attack review pointed a protected name at /proc/<pid>/cwd/m.json and moved the link's target
    // with a `cd`, which no watch sees: a plan that goes through such a directory is not watched.
    if ((mask & IN_ONLYDIR) !== 0 && !watchableDirectory(path)) return -18; // EXDEV
    const descriptor = addon.watchAdd(this.fd, path, mask | IN_MASK_ADD | IN_DONT_FOLLOW);
    if (descriptor >= 0 && !this.descriptors.has(descriptor)) {
      this.descriptors.add(descriptor);
      // A watch past the budget stays (removing it costs what closing does), but no plan may count on it.
      if (this.descriptors.size > MAX_PLAN_WATCHES) return -28; // ENOSPC
    }
    return descriptor;
  }

  /** Hands every queued event, and a change of the mount table, to the plans still watched. */
  drain(): void {
    if (this.closed) return;
    try {
      if (addon.pollPriority(this.mountTable)) for (const plan of this.plans) plan.incomplete();
      for (let chunk = addon.watchRead(this.fd); chunk !== null; chunk = addon.watchRead(this.fd))
        this.dispatch(chunk);
    } catch {
      for (const plan of this.plans) plan.incomplete();
    }
  }

  /** A plan no longer watched (its spare taken or ended). */
  release(plan: PlanWatch): void {
    this.plans.delete(plan);
  }

  /** Closes the instance (the server stops): every plan still watched reports a change. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const plan of this.plans) plan.incomplete();
    this.plans.clear();
    closeSync(this.fd);
    closeSync(this.mountTable);
  }

  private dispatch(chunk: Buffer): void {
    for (let at = 0; at + EVENT_HEADER_BYTES <= chunk.length; ) {
      const descriptor = chunk.readInt32LE(at);
      const mask = chunk.readUInt32LE(at + 4);
      const length = chunk.readUInt32LE(at + 12);
      const nameBytes = chunk.subarray(at + EVENT_HEADER_BYTES, at + EVENT_HEADER_BYTES + length);
      at += EVENT_HEADER_BYTES + length;
      if ((mask & IN_IGNORED) !== 0) this.descriptors.delete(descriptor);
      let name: string | undefined;
      if (length > 0) {
        const end = nameBytes.indexOf(0);
        name = nameBytes.subarray(0, end === -1 ? nameBytes.length : end).toString("utf8");
      }
      for (const plan of this.plans) plan.event(descriptor, mask, name);
    }
  }
}

/**
 * A watch on everything one mount plan read (plan-reads.ts), set before each read: afterwards `unchanged()` tells,
 * from the queued events, whether the plan made now would still be the same, where making it again costs a spawn
 * 3-5 ms (issue 16).
 *
 * Each path the plan looks up is resolved here the way the kernel would, name by name, every symlink followed,
 * and before each name is looked up its directory gets an inotify watch: a change to anything on the way (made,
 * removed, renamed, its mode or owner changed, a link swapped) queues an event before the call making it returns.
 * A listed directory's watch counts every name in it (or its subdirectories only, for a search that reads nothing
 * else), a read file's its content too. The mount table is watched as well (POLLPRI on /proc/self/mountinfo): a
 * mount moves no name. Events for other names in a watched directory (a log written beside the workspace's
 * files, a temporary file in /tmp) are dropped.
 *
 * Security: a spare sandbox was planned and mounted before the spawn it serves. When this says unchanged, the
 * plan made now reads the same names, modes, links and contents, so it is the same plan bound to the same files,
 * and the spare is used as it is. Anything it cannot follow — a directory it may not watch (inotify needs read
 * permission), more than MAX_PLAN_WATCHES, a link chain past MAX_LINKS, a search the plan cut short by a count,
 * a queue that overflowed — makes it report a change, and the spawn plans again (spare-fit.ts).
 */
export class PlanWatch implements PlanReader {
  private readonly byDescriptor = new Map<number, Watched>();
  /** Descriptor by `${mask}:${path}`, for this plan (a path replaced meanwhile is an event on its directory). */
  private readonly watches = new Map<string, number>();
  /** Each looked-up directory path's real path (null: missing, not a directory, or past MAX_LINKS). */
  private readonly realDirs = new Map<string, string | null>();
  /** What each file the plan read gave it (null: the read failed), read again at each check. */
  private readonly contents = new Map<string, string | null>();
  private contentChars = 0;
  private changed = false;

  constructor(private readonly watcher: PlanWatcher) {}

  lookUp(path: string): void {
    const dir = this.realDirOf(dirname(path));
    if (dir !== null && path !== "/") this.watchName(dir, basename(path));
  }

  resolve(path: string): void {
    this.realOf(path);
  }

  list(dir: string, names: "all" | "directories"): void {
    const real = this.realOf(dir);
    if (real?.directory) this.watchListing(real.path, names);
  }

  read(file: string): void {
    const real = this.realOf(file);
    if (real !== null) this.watch(real.path, CONTENT_EVENTS);
  }

  readDone(file: string, text: string | null): void {
    const before = this.contents.get(file);
    if (before !== undefined) {
      if (before !== text) this.changed = true;
      return;
    }
    this.contentChars += text?.length ?? 0;
    if (this.contentChars > MAX_REREAD_CHARS) this.changed = true;
    else this.contents.set(file, text);
  }

  incomplete(): void {
    this.changed = true;
  }

  /**
   * True while nothing the plan read can have changed since it read it, nor the mount table; false for good after.
   * Security: the files the plan read are read again and compared: an attack review rewrote a `.git` file's
   * `gitdir:` through a shared memory mapping made before the watch, and such writes queue no event.
   */
  unchanged(): boolean {
    if (!this.changed) this.watcher.drain();
    for (const [file, text] of this.contents) {
      if (this.changed) break;
      if (textOrNull(file) !== text) this.changed = true;
    }
    return !this.changed;
  }

  /** Stops watching (idempotent). */
  close(): void {
    this.watcher.release(this);
  }

  /** One queued event (PlanWatcher.dispatch): a change when it may change what the plan read. */
  event(descriptor: number, mask: number, name: string | undefined): void {
    if (this.changed) return;
    // An overflow (descriptor -1) reaches every plan.
    if ((mask & IN_Q_OVERFLOW) !== 0) {
      this.changed = true;
      return;
    }
    const watched = this.byDescriptor.get(descriptor);
    if (watched === undefined) return; // another plan's
    // An event on the watched inode itself (its mode, its removal or move, IN_IGNORED, IN_UNMOUNT), a content
    // change, or a name this plan went through or listed.
    if (
      name === undefined ||
      watched.all ||
      (watched.directories && (mask & IN_ISDIR) !== 0) ||
      watched.names.has(name)
    )
      this.changed = true;
  }

  private watchName(dir: string, name: string): void {
    this.watch(dir, DIRECTORY_EVENTS | IN_ONLYDIR)?.names.add(name);
  }

  private watchListing(dir: string, names: "all" | "directories"): void {
    const watched = this.watch(dir, DIRECTORY_EVENTS | IN_ONLYDIR);
    if (watched === undefined) return;
    if (names === "all") watched.all = true;
    else watched.directories = true;
  }

  /** Adds `mask` to the watch on real path `path`; undefined (and the plan unwatched) when it cannot be set. */
  private watch(path: string, mask: number): Watched | undefined {
    if (this.changed) return undefined;
    const key = `${mask}:${path}`;
    let descriptor = this.watches.get(key);
    if (descriptor === undefined) {
      descriptor = this.watcher.add(path, mask);
      if (descriptor < 0) {
        this.changed = true;
        return undefined;
      }
      this.watches.set(key, descriptor);
    }
    let watched = this.byDescriptor.get(descriptor);
    if (watched === undefined) {
      watched = { names: new Set(), all: false, directories: false };
      this.byDescriptor.set(descriptor, watched);
    }
    return watched;
  }
  /** The real path of directory `path`, each name on the way watched before it is looked up. */
  private realDirOf(path: string): string | null {
    if (path === "/") return "/";
    const known = this.realDirs.get(path);
    if (known !== undefined) return known;
    const found = this.realOf(path);
    const real = found?.directory ? found.path : null;
    this.realDirs.set(path, real);
    return real;
  }

  /** Where absolute `path` leads, every symlink followed, the last one too; null when nowhere. */
  private realOf(path: string): Found | null {
    if (!path.startsWith("/")) {
      this.changed = true;
      return null;
    }
    if (path === "/") return { path: "/", directory: true };
    const dir = this.realDirOf(dirname(path));
    return dir === null ? null : this.follow(dir, basename(path), { links: MAX_LINKS });
  }

  /** Looks up `name` in real directory `dir` once its watch is set, following a symlink name by name. */
  private follow(dir: string, name: string, budget: { links: number }): Found | null {
    if (name === "" || name === ".") return { path: dir, directory: true };
    if (name === "..") return { path: dirname(dir), directory: true };
    this.watchName(dir, name);
    const path = dir === "/" ? `/${name}` : `${dir}/${name}`;
    let stat: Stats | undefined;
    try {
      stat = lstatSync(path, { throwIfNoEntry: false });
    } catch {
      return null; // the plan's own lookup fails alike; a change to `dir` is watched
    }
    if (stat === undefined) return null;
    if (!stat.isSymbolicLink()) return { path, directory: stat.isDirectory() };
    if (--budget.links < 0) {
      this.changed = true;
      return null;
    }
    let target: string;
    try {
      target = readlinkSync(path);
    } catch {
      return null;
    }
    let at: Found = { path: target.startsWith("/") ? "/" : dir, directory: true };
    for (const part of target.split("/")) {
      if (!at.directory) return null;
      const next = this.follow(at.path, part, budget);
      if (next === null) return null;
      at = next;
    }
    return at;
  }
}

/** A file's text, or null when it cannot be read (as readText's caller sees a failed read). */
function textOrNull(file: string): string | null {
  try {
    return readRegularFile(file);
  } catch {
    return null;
  }
}
