import { spawnSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { readJournal } from "../../src/panes/journal/journal-store.js";
import { decodeSnapshot } from "../../src/panes/journal/pane-snapshot.js";
import { type DaemonFixture, daemonFixture, testDaemons } from "../support/daemon-harness.js";
import { CLI, eventually, processGone, readAudit } from "../support/mcp-harness.js";

/**
 * Pane history that survives the daemon (issue 15): a pane's history and screen are journaled, encrypted, in
 * $XDG_STATE_HOME/ccmux/panes; after a `kill -9` of the daemon, the next daemon lists the pane as exited
 * (reason "daemon restarted") and read_pane reads it, while no plaintext is on disk.
 */
const BASH = "bash --norc --noprofile";
const MARKER = "HISTORY-MARKER-7f3a";

/** The state directory's panes/ (the master key file, each policy's journals). */
function panesDir(fixture: DaemonFixture): string {
  return join(fixture.daemons.env.XDG_STATE_HOME as string, "ccmux", "panes");
}

/** Every file under panes/. */
function stateFiles(fixture: DaemonFixture): string[] {
  return readdirSync(panesDir(fixture), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The text in `pane`'s journal, opened with the master key file as the daemon would; undefined until it opens. */
function journaledText(fixture: DaemonFixture, pane: string): string | undefined {
  const journal = stateFiles(fixture).find((file) => file.endsWith(`${pane}.journal`));
  if (journal === undefined) return undefined;
  try {
    const master = readFileSync(join(panesDir(fixture), "journal-master.key"));
    return decodeSnapshot(readJournal(dirname(journal), pane, master, 1 << 30)).text;
  } catch {
    return undefined;
  }
}

/** SIGKILLs the test's daemon, waits until it is gone, and closes the bridges that spoke to it. */
async function crash(fixture: DaemonFixture): Promise<void> {
  const pid = fixture.daemons.daemonPid() as number;
  process.kill(pid, "SIGKILL");
  await eventually(() => processGone(pid));
  await fixture.closeClients();
}

describe.each([
  ["sandbox.mode: off", "off"],
  ["sandbox.mode: required", "required"],
] as const)("pane history across daemon restarts (%s)", (_label, mode) => {
  const fixture = daemonFixture();

  it("a marker printed in a pane is readable through the tools after kill -9 and a restart, and never on disk in plaintext", async () => {
    const { ws } = fixture.start({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode },
      // The key file, so that this test can open the journal and wait until it holds the last output.
      persist: { masterKey: "file" },
    });
    const alice = await fixture.connect("alice");
    const { pane } = await alice.ok<{ pane: string }>("spawn", { command: BASH, name: "work" });
    await alice.ok("send_keys", {
      pane,
      text: `for i in $(seq 1 300); do echo "line $i"; done; echo ${MARKER}-$((6*7))`,
      submit: true,
      wait: { text: `${MARKER}-42` },
    });
    // Alice reads with `new` up to here; what comes after stays unread for her.
    await alice.ok("read_pane", { pane, mode: "new" });
    await alice.ok("send_keys", {
      pane,
      text: "echo after-re''ad",
      submit: true,
      wait: { text: "after-read\n" },
    });
    // The journal is written within a second or so of the last change.
    await eventually(() => journaledText(fixture, pane)?.includes("after-read\n"));
    const before = (await alice.ok<{ text: string }>("read_pane", { pane, mode: "scrollback", lines: 1000 }))
      .text;
    await crash(fixture);

    const again = await fixture.connect("alice");
    const listed = await again.ok<{ panes: Array<Record<string, unknown>> }>("list_panes");
    expect(listed.panes).toEqual([
      expect.objectContaining({ pane, name: "work", alive: false, reason: "daemon restarted" }),
    ]);
    const scrollback = await again.ok<{ text: string }>("read_pane", {
      pane,
      mode: "scrollback",
      lines: 1000,
    });
    expect(scrollback.text).toContain(`${MARKER}-42`);
    expect(scrollback.text).toContain("line 1\n");
    expect(scrollback.text.trimEnd()).toBe(before.trimEnd());
    const fresh = await again.ok<{ text: string }>("read_pane", { pane, mode: "new" });
    expect(fresh.text).toContain("after-read");
    expect(fresh.text).not.toContain("line 300");
    // It still ran when the daemon died: how it ended is unknown (both null).
    const waited = await again.ok<Record<string, unknown>>("wait_for", {
      pane,
      exit: true,
      timeout_ms: 5000,
    });
    expect(waited).toMatchObject({ matched: true, alive: false, exitCode: null, signal: null });
    // Another session does not reach it, as before the restart.
    const bob = await fixture.connect("bob");
    await bob.refused("read_pane", { pane }, "PANE_NOT_FOUND");
    // Nothing in the state directory holds the marker (the journal is encrypted).
    for (const file of stateFiles(fixture)) expect(readFileSync(file).includes(MARKER)).toBe(false);
    expect(
      readAudit(ws.auditPath).some((r) => r.event === "journal" && r.reason === "daemon restarted"),
    ).toBe(true);
    // kill_pane shreds it: its key and its journal are gone.
    await again.ok("kill_pane", { pane });
    expect(stateFiles(fixture).filter((file) => file.includes(pane))).toEqual([]);
  });
});

describe("pane history: damage, keys and shredding (issue 15)", () => {
  const fixture = daemonFixture();

  /** A daemon (key file master key) with one pane that printed MARKER, then SIGKILLed. */
  async function paneThenCrash(): Promise<{ pane: string; journal: string }> {
    fixture.start({
      commands: [{ command: "echo", args: ["**"] }],
      sandbox: { mode: "off" },
      persist: { masterKey: "file" },
    });
    const alice = await fixture.connect("alice");
    const { pane } = await alice.ok<{ pane: string }>("spawn", { command: `echo ${MARKER}` });
    await alice.ok("wait_for", { pane, exit: true, timeout_ms: 10_000 });
    const journal = await eventually(() => {
      const file = stateFiles(fixture).find((path) => path.endsWith(`${pane}.journal`));
      return file && readFileSync(file).length > 100 ? file : undefined;
    });
    await crash(fixture);
    return { pane, journal };
  }

  it("a journal with a flipped byte is reported and not loaded (no half-loaded pane)", async () => {
    const { pane, journal } = await paneThenCrash();
    const bytes = readFileSync(journal);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] as number) ^ 0x01;
    writeFileSync(journal, bytes);
    const again = await fixture.connect("alice");
    expect((await again.ok<{ panes: unknown[] }>("list_panes")).panes).toEqual([]);
    await again.refused("read_pane", { pane }, "PANE_NOT_FOUND");
    const record = readAudit(fixture.ws.auditPath).find((r) => r.event === "journal");
    expect(record?.detail).toMatchObject({
      restored: [],
      damaged: [{ pane, reason: expect.stringMatching(/^changed: block 0/) }],
    });
  });

  it("a key file with loose modes is refused: the daemon keeps no history and says so", async () => {
    const { pane } = await paneThenCrash();
    chmodSync(join(panesDir(fixture), "journal-master.key"), 0o644);
    const again = await fixture.connect("alice");
    expect((await again.ok<{ panes: unknown[] }>("list_panes")).panes).toEqual([]);
    await again.refused("read_pane", { pane }, "PANE_NOT_FOUND");
    const security = readAudit(fixture.ws.auditPath).find(
      (r) => r.event === "security" && r.rule === "journal-key",
    );
    expect(String(security?.reason)).toMatch(/mode 0644.*chmod 600/);
  });

  it("after kill_pane the pane key is gone: a copy of its journal put back cannot be restored", async () => {
    const { pane, journal } = await paneThenCrash();
    const copy = readFileSync(journal);
    const again = await fixture.connect("alice");
    await again.ok("kill_pane", { pane });
    writeFileSync(journal, copy, { mode: 0o600 });
    await crash(fixture);
    const third = await fixture.connect("alice");
    expect((await third.ok<{ panes: unknown[] }>("list_panes")).panes).toEqual([]);
    await third.refused("read_pane", { pane }, "PANE_NOT_FOUND");
  });

  it("eviction shreds an exited pane's journal; ccmux prune shreds a stopped daemon's and keeps a running one's; doctor says where the key is", async () => {
    const { daemons } = fixture.start({
      commands: [{ command: "echo", args: ["**"] }],
      sandbox: { mode: "off" },
      persist: { masterKey: "file" },
      limits: { maxExitedPanes: 1 },
    });
    const alice = await fixture.connect("alice");
    const journalsOf = (pane: string) => stateFiles(fixture).filter((file) => file.includes(pane));
    const { pane: first } = await alice.ok<{ pane: string }>("spawn", { command: "echo first" });
    await alice.ok("wait_for", { pane: first, exit: true, timeout_ms: 10_000 });
    await eventually(() => journalsOf(first).length === 2);
    const { pane: second } = await alice.ok<{ pane: string }>("spawn", { command: "echo second" });
    await alice.ok("wait_for", { pane: second, exit: true, timeout_ms: 10_000 });
    // The first exited pane is evicted (maxExitedPanes 1): its journal goes with it.
    await eventually(() => journalsOf(first).length === 0 && journalsOf(second).length === 2);
    const doctor = daemons.cli(["doctor", "--config", fixture.ws.policyPath]);
    expect(doctor.stdout).toMatch(
      /pane history \(persist\.scrollback\): kept by the daemon, encrypted; key file/,
    );
    // A running daemon's journals stay.
    expect(daemons.cli(["prune"]).stdout).toContain("Kept the journals of 1 running daemon");
    expect(journalsOf(second)).toHaveLength(2);
    const stop = daemons.cli(["daemon", "stop", "--config", fixture.ws.policyPath]);
    expect(stop.status, stop.stderr).toBe(0);
    await fixture.closeClients();
    const pruned = daemons.cli(["prune", "--json"]);
    expect(JSON.parse(pruned.stdout)).toMatchObject({ removed: [{ panes: [second] }], running: [] });
    expect(journalsOf(second)).toEqual([]);
  });

  it("a second daemon of the same policy (another runtime directory) neither restores nor shreds the first's live panes; prune from any runtime directory keeps them", async () => {
    const { ws, daemons } = fixture.start({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode: "off" },
    });
    const alice = await fixture.connect("alice");
    const { pane } = await alice.ok<{ pane: string }>("spawn", { command: BASH });
    await eventually(() => stateFiles(fixture).some((file) => file.endsWith(`${pane}.journal`)));
    const other = testDaemons(ws, { runtimeBase: join(ws.dir, "elsewhere") });
    try {
      const second = await other.connect("alice");
      try {
        expect((await second.ok<{ panes: unknown[] }>("list_panes")).panes).toEqual([]);
      } finally {
        await second.close();
      }
      // prune with no runtime directory at all (cron, sudo): the first daemon holds its journal directory's lock.
      const pruned = spawnSync(process.execPath, [CLI, "prune", "--json"], {
        env: { ...daemons.env, XDG_RUNTIME_DIR: "" },
        encoding: "utf8",
      });
      expect(JSON.parse(pruned.stdout)).toMatchObject({ removed: [], running: [expect.any(String)] });
    } finally {
      await other.stopAll();
    }
    expect(stateFiles(fixture).filter((file) => file.includes(pane))).toHaveLength(2);
    const listed = await alice.ok<{ panes: Array<{ pane: string; alive: boolean }> }>("list_panes");
    expect(listed.panes).toEqual([expect.objectContaining({ pane, alive: true })]);
    const security = readAudit(ws.auditPath).find((r) => r.event === "security" && r.rule === "journal-key");
    expect(String(security?.reason)).toContain("another daemon of this policy keeps its panes' history");
  });

  it.skipIf(process.getuid?.() !== 0)(
    "an unsandboxed pane of a root daemon cannot read the master key from the keyring session the daemon was started in",
    async () => {
      const { ws } = fixture.start({
        commands: [{ command: "python3", args: ["{path}"] }],
        sandbox: { mode: "off" },
        persist: { masterKey: "keyring" },
      });
      writeFileSync(
        join(ws.root, "keys.py"),
        [
          "import ctypes, os",
          "libc = ctypes.CDLL(None, use_errno=True)",
          "SYS_keyctl = 250",
          "buf = ctypes.create_string_buffer(256)",
          "for ring, name in ((-3, 'session'), (-4, 'user'), (-5, 'user-session')):",
          "    key = libc.syscall(SYS_keyctl, 10, ring, b'user', b'ccmux:journal-master-key', 0)",
          "    if key < 0:",
          "        print(name, 'not found', ctypes.get_errno()); continue",
          "    n = libc.syscall(SYS_keyctl, 11, key, buf, 256)",
          "    print(name, 'READ' if n == 32 else 'denied', n, ctypes.get_errno())",
        ].join("\n"),
      );
      const alice = await fixture.connect("alice");
      const ran = await alice.ok<{ output: string; exitCode: number }>("run", { command: "python3 keys.py" });
      expect(ran.exitCode).toBe(0);
      expect(ran.output).toMatch(/session/);
      expect(ran.output).not.toContain("READ");
    },
  );
});
