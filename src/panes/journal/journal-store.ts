import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  type Stats,
  writeSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { basename, join } from "node:path";
import { addon } from "../../native/addon.js";
import { currentUid, privacyProblem } from "../../shared/owner-check.js";
import {
  JournalCounter,
  JournalDamage,
  KEY_BYTES,
  openSnapshot,
  sealSnapshot,
  unwrapKey,
  WRAPPED_KEY_BYTES,
  wrapKey,
} from "./journal-crypto.js";

/**
 * The files of pane journals in one directory (`$XDG_STATE_HOME/ccmux/panes`, 0700; issue 15):
 * - `<pane>.key`: the pane's key wrapped under the master key (journal-crypto.ts), written once, 0600;
 * - `<pane>.journal`: the pane's latest snapshot sealed under that key, replaced whole (a new file renamed over
 *   the old: a crash leaves the previous snapshot or the new one, never a mix).
 * The payload is opaque here (pane-snapshot.ts gives it its shape).
 */

/** A pane id as ccmux makes them (p-…): the only names journal files have. */
const PANE_ID = /^p-[A-Za-z0-9_-]{1,64}$/;

/** The journal of one pane, open for writing snapshots. */
export class PaneJournal {
  private readonly counter = new JournalCounter();
  private shredded = false;

  private constructor(
    private readonly dir: string,
    readonly paneId: string,
    private readonly paneKey: Buffer,
  ) {}

  /** Starts the journal of pane `paneId`: a fresh pane key, wrapped under `master`, in a new key file. */
  static create(dir: string, paneId: string, master: Buffer): PaneJournal {
    checkPaneId(paneId);
    ensureJournalDir(dir);
    const paneKey = randomBytes(KEY_BYTES);
    writeNew(keyPath(dir, paneId), wrapKey(master, keyBinding(dir, paneId), paneKey));
    return new PaneJournal(dir, paneId, paneKey);
  }

  /**
   * Replaces the pane's snapshot with `payload`: sealed, written to a new file and synced off this thread (the
   * daemon's event loop never waits on the disk), then renamed over the old one. One write at a time per journal
   * (PaneJournals keeps that).
   */
  async write(payload: Buffer): Promise<void> {
    if (this.shredded) return;
    const sealed = sealSnapshot(this.paneKey, this.paneId, this.counter, payload);
    const temporary = join(this.dir, `.${this.paneId}.journal-${randomBytes(6).toString("hex")}`);
    try {
      const file = await open(temporary, WRITE_NEW, 0o600);
      try {
        await file.writeFile(sealed);
        await file.sync();
      } finally {
        await file.close();
      }
      // Shredded meanwhile (kill_pane): the new file must not outlive the key.
      if (this.shredded) throw new Error("the journal was shredded");
      renameSync(temporary, journalPath(this.dir, this.paneId));
    } catch (error) {
      rmSync(temporary, { force: true });
      if (!this.shredded) throw error;
    }
  }

  /** Crypto-shreds the journal (shredJournal); no snapshot is written after. */
  shred(): void {
    this.shredded = true;
    this.paneKey.fill(0);
    shredJournal(this.dir, this.paneId);
  }
}

/**
 * Crypto-shreds pane `paneId`'s journal: the wrapped key is overwritten in place with random bytes and synced,
 * then the key file and the snapshot are unlinked. What that guarantees (README "Pane history"): on a file system
 * that overwrites in place, the key is gone and the snapshot's ciphertext cannot be opened again, even by the
 * master key; on SSDs and copy-on-write file systems the old key's blocks may survive until reused, and only the
 * master key's own loss (the keyring's end, or a removed key file) makes them useless.
 */
export function shredJournal(dir: string, paneId: string): void {
  checkPaneId(paneId);
  const key = keyPath(dir, paneId);
  try {
    // Security: only a key file ccmux wrote is overwritten: a regular file of this uid, private, the size of a
    // wrapped key, with no other name. An attack review made prune overwrite a file outside the journal directory
    // through a hard link named like a key, and hang kill_pane on a FIFO put in a key's place (O_NONBLOCK).
    const fd = openSync(key, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const stat = fstatSync(fd);
      if (ownKeyFile(stat, key)) {
        writeSync(fd, randomBytes(WRAPPED_KEY_BYTES), 0, undefined, 0);
        fsyncSync(fd);
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    // gone already, or not a file we can open: unlinked below either way
  }
  rmSync(key, { force: true });
  rmSync(journalPath(dir, paneId), { force: true });
}

/**
 * A pane's last snapshot, opened; throws JournalDamage (or the fs error) when it does not open whole.
 * `maxBytes`: the largest journal file read (a larger one is damage; nothing past it is read).
 */
export function readJournal(dir: string, paneId: string, master: Buffer, maxBytes: number): Buffer {
  checkPaneId(paneId);
  const paneKey = unwrapKey(
    master,
    keyBinding(dir, paneId),
    readPrivate(keyPath(dir, paneId), WRAPPED_KEY_BYTES),
  );
  try {
    return openSnapshot(paneKey, paneId, readPrivate(journalPath(dir, paneId), maxBytes)).payload;
  } finally {
    paneKey.fill(0);
  }
}

/**
 * The panes that have a key file in `dir` (journals whose snapshot may still be missing or damaged); none when
 * `dir` is not a private directory of this uid (by lstat: a symlink put in its place is never followed).
 */
export function journalPanes(dir: string): string[] {
  let names: string[];
  try {
    if (privacyProblem(lstatSync(dir), dir, "directory", currentUid())) return [];
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith(".key"))
    .map((name) => name.slice(0, -".key".length))
    .filter((id) => PANE_ID.test(id));
}

/**
 * Takes the journal directory `dir`'s lock (an exclusive flock on `dir`/.lock, held until the descriptor is closed
 * or the process ends): its descriptor, or undefined when another process holds it. Security: two daemons of one
 * policy (started with different runtime directories) shared one journal directory, and the second listed the
 * first's live pane as restarted and shredded it (an attack review); `ccmux prune` asks the same lock whether a
 * daemon still uses a directory.
 */
export function lockJournalDir(dir: string): number | undefined {
  const path = join(dir, ".lock");
  const fd = openSync(
    path,
    constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    0o600,
  );
  try {
    const problem = privacyProblem(fstatSync(fd), path, "file", currentUid());
    if (problem) throw new Error(`ccmux's pane journal lock: ${problem.message}`);
    if (addon.tryFlock(fd)) return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  closeSync(fd);
  return undefined;
}

/**
 * Makes `dir` (0700) if needed and checks it is a directory of this uid that no one else can enter. Throws an
 * Error that says what to fix.
 */
export function ensureJournalDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const problem = privacyProblem(lstatSync(dir), dir, "directory", currentUid());
  if (problem) throw new Error(`ccmux's pane journal directory: ${problem.message}`);
}

/**
 * What a pane key is bound to when wrapped: its daemon's journal directory (named by the daemon's key) and the
 * pane. Security: another policy's journal copied into this daemon's directory does not open (an attack review
 * had a daemon restore a pane of another policy, with a cwd outside its workspace).
 */
function keyBinding(dir: string, paneId: string): string {
  return `${basename(dir)}/${paneId}`;
}

function keyPath(dir: string, paneId: string): string {
  return join(dir, `${paneId}.key`);
}

function journalPath(dir: string, paneId: string): string {
  return join(dir, `${paneId}.journal`);
}

/** A new file, never through a link, never over an existing one. */
const WRITE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function checkPaneId(paneId: string): void {
  if (!PANE_ID.test(paneId)) throw new Error(`not a pane id: ${JSON.stringify(paneId)}`);
}

/** Writes a new 0600 file (never through a link, never over an existing file) and syncs it. */
function writeNew(path: string, bytes: Buffer): void {
  const fd = openSync(path, WRITE_NEW, 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Whether `stat` is a key file as ccmux writes them: regular, this uid's, private, one name, a wrapped key's size. */
function ownKeyFile(stat: Stats, path: string): boolean {
  return (
    privacyProblem(stat, path, "file", currentUid()) === undefined &&
    stat.nlink === 1 &&
    stat.size === WRAPPED_KEY_BYTES
  );
}

/**
 * Reads a file that must be this uid's, private (0600), a regular file of at most `maxBytes`; throws
 * JournalDamage("format") when it is not. Security: opened without blocking (a FIFO in its place would hang the
 * daemon) and sized before reading (an attack review's sparse 2 GiB files took 2 GiB and 10 s each at start).
 */
function readPrivate(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    const problem = privacyProblem(stat, path, "file", currentUid());
    if (problem) throw new JournalDamage("format", problem.message);
    if (stat.size > maxBytes) {
      throw new JournalDamage(
        "format",
        `${path} is ${stat.size} bytes, more than a journal of this policy holds`,
      );
    }
    const bytes = Buffer.alloc(stat.size);
    const read = readSync(fd, bytes, 0, stat.size, 0);
    if (read !== stat.size) throw new JournalDamage("truncated", `${path} changed while it was read`);
    return bytes;
  } finally {
    closeSync(fd);
  }
}
