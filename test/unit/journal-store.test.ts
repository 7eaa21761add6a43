import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { JournalDamage, unwrapKey } from "../../src/panes/journal/journal-crypto.js";
import {
  journalPanes,
  PaneJournal,
  readJournal,
  shredJournal,
} from "../../src/panes/journal/journal-store.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function journalDir(): string {
  const base = mkdtempSync(join(tmpdir(), "ccmux-journal-"));
  dirs.push(base);
  return join(base, "panes");
}

describe("pane journal files (issue 15)", () => {
  const master = randomBytes(32);

  it("keeps the latest snapshot, 0600 in a 0700 directory, with no plaintext on disk", async () => {
    const dir = journalDir();
    const journal = PaneJournal.create(dir, "p-abc", master);
    await journal.write(Buffer.from("MARKER-first"));
    await journal.write(Buffer.from("MARKER-second"));
    expect(readJournal(dir, "p-abc", master, 1 << 20).toString()).toBe("MARKER-second");
    expect(journalPanes(dir)).toEqual(["p-abc"]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const file of ["p-abc.key", "p-abc.journal"]) {
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(dir, file)).includes("MARKER")).toBe(false);
    }
  });

  it("after shredding, the key is gone and a copy of the data no longer opens with the master key", async () => {
    const dir = journalDir();
    const journal = PaneJournal.create(dir, "p-abc", master);
    await journal.write(Buffer.from("secret history"));
    const copy = join(dir, "..", "copy.journal");
    copyFileSync(join(dir, "p-abc.journal"), copy);
    journal.shred();
    expect(existsSync(join(dir, "p-abc.key"))).toBe(false);
    expect(existsSync(join(dir, "p-abc.journal"))).toBe(false);
    copyFileSync(copy, join(dir, "p-abc.journal"));
    chmodSync(join(dir, "p-abc.journal"), 0o600);
    expect(() => readJournal(dir, "p-abc", master, 1 << 20)).toThrow(/ENOENT/);
    await journal.write(Buffer.from("after"));
    expect(existsSync(join(dir, "p-abc.key"))).toBe(false);
  });

  it("shredding overwrites the wrapped key in place before unlinking it", async () => {
    const dir = journalDir();
    PaneJournal.create(dir, "p-abc", master);
    const wrapped = readFileSync(join(dir, "p-abc.key"));
    expect(unwrapKey(master, "panes/p-abc", wrapped)).toHaveLength(32);
    // A descriptor opened before keeps the inode's blocks reachable after the unlink, as a remnant on disk would.
    const remnant = openSync(join(dir, "p-abc.key"), "r");
    try {
      shredJournal(dir, "p-abc");
      const after = Buffer.alloc(wrapped.length);
      readSync(remnant, after, 0, after.length, 0);
      expect(after.equals(wrapped)).toBe(false);
      expect(() => unwrapKey(master, "panes/p-abc", after)).toThrow(JournalDamage);
    } finally {
      closeSync(remnant);
    }
  });

  it("shredding never writes through a key name that is a hard link, a symlink or a FIFO: it only unlinks it", async () => {
    const dir = journalDir();
    PaneJournal.create(dir, "p-abc", master);
    const outside = join(dir, "..", "outside.txt");
    writeFileSync(outside, "precious", { mode: 0o600 });
    rmSync(join(dir, "p-abc.key"));
    linkSync(outside, join(dir, "p-abc.key"));
    shredJournal(dir, "p-abc");
    expect(readFileSync(outside, "utf8")).toBe("precious");
    symlinkSync(outside, join(dir, "p-two.key"));
    shredJournal(dir, "p-two");
    expect(readFileSync(outside, "utf8")).toBe("precious");
    execFileSync("mkfifo", [join(dir, "p-fifo.key")]);
    shredJournal(dir, "p-fifo");
    expect(existsSync(join(dir, "p-fifo.key"))).toBe(false);
  });

  it("a journal copied into another daemon's directory does not open there (its key is bound to its directory)", async () => {
    const dir = journalDir();
    await PaneJournal.create(dir, "p-abc", master).write(Buffer.from("policy A's pane"));
    const other = join(dir, "..", "other-daemon");
    mkdirSync(other, { mode: 0o700 });
    for (const name of ["p-abc.key", "p-abc.journal"]) copyFileSync(join(dir, name), join(other, name));
    expect(() => readJournal(other, "p-abc", master, 1 << 20)).toThrow(/does not open under this master key/);
    expect(readJournal(dir, "p-abc", master, 1 << 20).toString()).toBe("policy A's pane");
  });

  it("a journal file that is not private is not read", async () => {
    const dir = journalDir();
    await PaneJournal.create(dir, "p-abc", master).write(Buffer.from("x"));
    chmodSync(join(dir, "p-abc.journal"), 0o644);
    expect(() => readJournal(dir, "p-abc", master, 1 << 20)).toThrow(/mode 0644/);
  });
});
