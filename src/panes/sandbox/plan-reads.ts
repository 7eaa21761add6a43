import {
  accessSync,
  closeSync,
  constants,
  type Dir,
  fstatSync,
  lstatSync,
  opendirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  type Stats,
} from "node:fs";

/** open(2)'s O_PATH (Linux): a descriptor naming a file without opening it (no device is opened, no FIFO waited on). */
const O_PATH = 0o10000000;

/**
 * Every file system read a mount plan makes (mount-plan.ts and the modules it calls) goes through this module,
 * so that a watch can be set on what the plan reads before it reads it (plan-watch.ts: a spare sandbox is used
 * without planning again only while nothing read has changed). Each function tells the reader being recorded,
 * if any, what it is about to read, then reads.
 */
export interface PlanReader {
  /** `path` is about to be looked up (lstat, access, readlink): its name in its directory, and every directory above. */
  lookUp(path: string): void;
  /** `path` is about to be resolved, every symlink on the way followed, the last one too. */
  resolve(path: string): void;
  /**
   * Directory `dir` (symlinks followed) is about to be listed: every name in it, or (`directories`) only the
   * names of its subdirectories, when the plan reads nothing else of the listing.
   */
  list(dir: string, names: "all" | "directories"): void;
  /** File `file` (symlinks followed) is about to be read: its content too. */
  read(file: string): void;
  /** What reading `file` gave the plan: its text, or null when the read failed. */
  readDone(file: string, text: string | null): void;
  /** The plan depends on more than its reads say (a search cut short by a count): it cannot be watched. */
  incomplete(): void;
}

let recording: PlanReader | undefined;

/** Runs `plan` (synchronous) with every read of this module told to `reader` first. */
export function readingFor<T>(reader: PlanReader, plan: () => T): T {
  const outer = recording;
  recording = reader;
  try {
    return plan();
  } finally {
    recording = outer;
  }
}

/** lstat, or null when the path is gone or cannot be looked up. */
export function lstatOrNull(path: string): Stats | null {
  recording?.lookUp(path);
  try {
    return lstatSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/** lstat, null when the path is gone; throws what lstat throws otherwise (EACCES: a directory above is closed). */
export function lstatOrThrow(path: string): Stats | null {
  recording?.lookUp(path);
  return lstatSync(path, { throwIfNoEntry: false }) ?? null;
}

/** The names in `dir` (readdirSync); throws what it throws. */
export function listNames(dir: string): string[] {
  recording?.list(dir, "all");
  return readdirSync(dir);
}

/**
 * `dir` opened for reading its entries with names as bytes (opendirSync), for a caller that reads only which of
 * them are directories; throws what it throws.
 */
export function openDirOfDirectories(dir: string): Dir {
  recording?.list(dir, "directories");
  return opendirSync(dir, { encoding: "buffer" as BufferEncoding });
}

/** accessSync(path, mode); throws what it throws. */
export function access(path: string, mode: number): void {
  recording?.lookUp(path);
  accessSync(path, mode);
}

/** A regular file's text (UTF-8, readRegularFile); throws what opening and reading it throws, EINVAL for anything else. */
export function readText(file: string): string {
  recording?.read(file);
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (error) {
    recording?.readDone(file, null);
    throw error;
  }
  recording?.readDone(file, text);
  return text;
}

/**
 * The text (UTF-8) of `file`, symlinks followed, when it is a regular file; throws EINVAL for anything else.
 * Security: the files a plan reads lie in repositories a pane can make. A pane's `x/.git/config` made a FIFO
 * blocked the server's thread in open(2) at the next spawn, for good; a symlink to a device (/dev/watchdog, a
 * tty) would have had the server open it, as root under a root server. The file is named with O_PATH, which
 * opens nothing, checked to be a regular file, and only then opened, through that descriptor (no path race).
 */
export function readRegularFile(file: string): string {
  const named = openSync(file, O_PATH);
  try {
    if (!fstatSync(named).isFile()) {
      throw Object.assign(new Error(`${file} is not a regular file`), { code: "EINVAL" });
    }
    const opened = openSync(`/proc/self/fd/${named}`, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      return readFileSync(opened, "utf8");
    } finally {
      closeSync(opened);
    }
  } finally {
    closeSync(named);
  }
}

/** readlinkSync; throws what it throws. */
export function readLink(path: string): string {
  recording?.lookUp(path);
  return readlinkSync(path);
}

/** Tells the reader being recorded that the plan depends on more than its reads (PlanReader.incomplete). */
export function planIncomplete(): void {
  recording?.incomplete();
}

/** realpathSync (every symlink on the way followed); throws what it throws. */
export function realPath(path: string): string {
  recording?.resolve(path);
  return realpathSync(path);
}

/** realpathSync.native (the kernel's realpath(3)); throws what it throws. */
export function realPathNative(path: string): string {
  recording?.resolve(path);
  return realpathSync.native(path);
}
