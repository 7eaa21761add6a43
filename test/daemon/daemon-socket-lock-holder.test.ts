import { chownSync, existsSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DaemonUntrusted } from "../../src/daemon/daemon-errors.js";
import { DaemonLock, flockHolder, lockHolderPid } from "../../src/daemon/daemon-lock.js";
import {
  type Child,
  cleanup,
  holdLock,
  IS_ROOT,
  NOT_ROOT_REASON,
  privateDir,
  start,
} from "./daemon-test-kit.js";

let base: string;
const children: Child[] = [];
const locks: DaemonLock[] = [];
afterEach(async () => {
  for (const lock of locks.splice(0)) lock.release();
  for (const child of children.splice(0)) await child.kill9();
  cleanup(base);
});

function lockFile(dir: string): string {
  const lock = join(dir, "0123456789abcdef.lock");
  writeFileSync(lock, "", { mode: 0o600 });
  return lock;
}

// /tmp and /dev/shm are usually different filesystems (a disk and tmpfs): /proc/locks names the device in hex
// major:minor, which must be matched against stat's st_dev on each.
function writable(dir: string): boolean {
  try {
    cleanup(privateDir(dir)); // a real try: inside a pane's sandbox /dev/shm may refuse even where access() says yes
    return true;
  } catch {
    return false;
  }
}
describe.each([
  ["/tmp", true],
  ["/dev/shm", writable("/dev/shm")],
])("lock holder on %s", (where, usable) => {
  it.skipIf(!usable)(
    `another process holds the lock: acquire says so, lockHolderPid names it; after kill -9 the lock is ours${usable ? "" : ` (skipped: ${where} is not writable here)`}`,
    async () => {
      base = privateDir(where);
      const lock = lockFile(base);
      const holder = await holdLock(lock);
      children.push(holder);
      expect(lockHolderPid(lock)).toBe(holder.pid);
      expect(DaemonLock.acquire(lock)).toBeUndefined();
      await holder.kill9();
      expect(lockHolderPid(lock)).toBeUndefined();
      const mine = DaemonLock.acquire(lock);
      expect(mine).toBeDefined();
      locks.push(mine as DaemonLock);
      expect(lockHolderPid(lock)).toBe(process.pid);
      (mine as DaemonLock).release();
      expect(lockHolderPid(lock)).toBeUndefined();
    },
  );
});

describe("DaemonLock", () => {
  it("creates the lock file 0600 and matches /proc/locks by device and inode, not by name", () => {
    base = privateDir();
    const lock = join(base, "fresh.lock");
    const mine = DaemonLock.acquire(lock);
    locks.push(mine as DaemonLock);
    expect(mine?.held).toBe(true);
    const line = readFileSync("/proc/locks", "utf8")
      .split("\n")
      .find((entry) => entry.includes(` FLOCK `) && entry.includes(` ${process.pid} `));
    expect(line).toBeDefined();
    const other = join(base, "other.lock");
    writeFileSync(other, "", { mode: 0o600 });
    expect(lockHolderPid(other)).toBeUndefined();
    expect(lockHolderPid(join(base, "missing.lock"))).toBeUndefined();
  });

  it("a child started while the daemon holds the lock does not inherit it (the lock dies with the daemon alone)", async () => {
    base = privateDir();
    const lock = lockFile(base);
    const mine = DaemonLock.acquire(lock) as DaemonLock;
    const child = start("sh", ["-c", "echo up; exec sleep 1000"]);
    children.push(child);
    await child.waitFor("up");
    mine.release();
    expect(lockHolderPid(lock)).toBeUndefined();
    const again = DaemonLock.acquire(lock);
    expect(again).toBeDefined();
    locks.push(again as DaemonLock);
  });

  it("release is idempotent", () => {
    base = privateDir();
    const mine = DaemonLock.acquire(lockFile(base)) as DaemonLock;
    mine.release();
    mine.release();
    expect(mine.held).toBe(false);
  });
});

describe("planted lock file", () => {
  function refusal(lock: string): DaemonUntrusted {
    try {
      const taken = DaemonLock.acquire(lock);
      if (taken) locks.push(taken);
    } catch (error) {
      if (error instanceof DaemonUntrusted) return error;
      throw error;
    }
    throw new Error("acquired");
  }

  it("a symlink at the lock's name is refused and its target is not created", () => {
    base = privateDir();
    const lock = join(base, "k.lock");
    symlinkSync(join(base, "elsewhere"), lock);
    expect(refusal(lock).reason).toBe("symlink");
    expect(existsSync(join(base, "elsewhere"))).toBe(false);
  });

  it("a lock file others can write (0666) is refused", () => {
    base = privateDir();
    const lock = join(base, "k.lock");
    writeFileSync(lock, "", { mode: 0o666 });
    expect(refusal(lock).message).toContain("chmod 600");
  });

  it.skipIf(!IS_ROOT)(`a lock file of another uid is refused (${NOT_ROOT_REASON})`, () => {
    base = privateDir();
    const lock = lockFile(base);
    chownSync(lock, 65534, 65534);
    expect(refusal(lock).reason).toBe("foreign-owner");
  });

  it("lockHolderPid does not follow a symlink to a locked file", async () => {
    base = privateDir();
    const lock = lockFile(base);
    const holder = await holdLock(lock);
    children.push(holder);
    symlinkSync(lock, join(base, "link.lock"));
    expect(lockHolderPid(lock)).toBe(holder.pid);
    expect(lockHolderPid(join(base, "link.lock"))).toBeUndefined();
  });
});

describe("reading /proc/locks", () => {
  // Linux dev_t: major 259 minor 3 (an NVMe partition) is 0x10303; major 0xfe minor 0 (virtio disk) is 0xfe00.
  const nvme = (259n << 8n) | 3n;
  const table = [
    "1: FLOCK  ADVISORY  WRITE 111 fe:00:4242 0 EOF",
    "2: -> FLOCK  ADVISORY  WRITE 222 103:03:4242 0 EOF",
    "3: POSIX  ADVISORY  WRITE 333 103:03:4242 0 EOF",
    "4: FLOCK  ADVISORY  WRITE 444 103:03:4242 0 EOF",
    "5: FLOCK  ADVISORY  WRITE 0 103:03:77 0 EOF",
  ].join("\n");

  it("matches device by major:minor in hex and the inode: the same inode on another device is another file", () => {
    expect(flockHolder(table, nvme, 4242n)).toBe(444);
    expect(flockHolder(table, 0xfe00n, 4242n)).toBe(111);
    expect(flockHolder(table, 0xfe01n, 4242n)).toBeUndefined(); // same major, other minor
    expect(flockHolder(table, 259n << 8n, 4242n)).toBeUndefined(); // same minor (0), other major
    expect(flockHolder(table, nvme, 4243n)).toBeUndefined();
  });

  it("a waiter (->) and a POSIX lock are not the daemon's flock; pid 0 (another pid namespace) is reported as 0", () => {
    expect(flockHolder(table.split("\n").slice(1, 3).join("\n"), nvme, 4242n)).toBeUndefined();
    expect(flockHolder(table, nvme, 77n)).toBe(0);
  });

  it("the real /proc/locks line of a real lock matches the real lstat of its file", () => {
    base = privateDir();
    const lock = lockFile(base);
    const mine = DaemonLock.acquire(lock) as DaemonLock;
    locks.push(mine);
    const st = lstatSync(lock, { bigint: true });
    expect(flockHolder(readFileSync("/proc/locks", "utf8"), st.dev, st.ino)).toBe(process.pid);
    expect(flockHolder(readFileSync("/proc/locks", "utf8"), st.dev + 1n, st.ino)).toBeUndefined();
  });
});
