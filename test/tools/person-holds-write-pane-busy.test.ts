import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PaneHost } from "../../src/panes/pane-host.js";
import { type InProcessClient, type InProcessTools, serveInProcess } from "../support/in-process-tools.js";
import { makeWorkspace, readAudit, type TestWorkspace, textOf } from "../support/mcp-harness.js";

/**
 * A person who holds write on a pane (`ccmux attach --write`, here through the host's viewer calls, as the daemon
 * makes them) owns its keyboard: the agent's send_keys and resize_pane answer PANE_BUSY and change nothing, the
 * agent sees that someone watches and types, and once the person lets go the agent types again.
 */

const SHELL = "bash --norc --noprofile";
/** What a person at the terminal is: the attaching process, as the daemon socket's peer credentials name it. */
const PERSON = { pid: process.pid, uid: process.getuid?.() ?? 0 };

interface Watched {
  pane: string;
  viewers: number;
  personTyping: boolean;
}
interface Waited {
  matched: boolean;
  text: string;
}

describe("a person holding write on a pane keeps the agent's keys and resizes out (PANE_BUSY)", () => {
  let ws: TestWorkspace;
  let tools: InProcessTools;
  let agent: InProcessClient;

  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      panes: [
        { name: "person-ro", command: SHELL, access: "read" },
        { name: "person-rw", command: SHELL, access: "write" },
      ],
      sandbox: { mode: "off" },
    });
    tools = await serveInProcess(ws);
    agent = await tools.connect();
  });
  afterAll(async () => {
    await tools?.stop();
    ws?.cleanup();
  });

  /** A fresh bash pane of the agent's, at its prompt. */
  async function shell(client = agent): Promise<string> {
    const { pane } = await client.ok<{ pane: string }>("spawn", { command: SHELL, cols: 80, rows: 24 });
    const ready = await client.ok<{ wait: Waited }>("send_keys", {
      pane,
      text: "echo ready-$((6*7))",
      submit: true,
      wait: { text: "ready-42" },
    });
    expect(ready.wait.matched).toBe(true);
    return pane;
  }

  /** Makes a person attach to `pane` and take write; returns how they let go. */
  function personTakesWrite(pane: string): { release(): void; detach(): void } {
    const viewer = tools.host.addViewer(pane, PERSON);
    expect(tools.host.setViewerWrite(pane, viewer.id, true)).toBe(true);
    return {
      release: () => expect(tools.host.setViewerWrite(pane, viewer.id, false)).toBe(true),
      detach: () => tools.host.removeViewer(pane, viewer.id),
    };
  }

  function listed(panes: Watched[], pane: string): Watched | undefined {
    return panes.find((each) => each.pane === pane);
  }

  it("send_keys calls already typing, or queued, stop at the moment a person takes write", async () => {
    const pane = await shell();
    await agent.ok("send_keys", { pane, text: "exec cat", submit: true, wait: { text: "exec cat" } });
    // Each call settles after every Escape (ESCAPE_GAP_MS): six of them take seconds to type.
    const calls = Array.from({ length: 6 }, (_, i) =>
      agent.call("send_keys", { pane, text: `q${i}`, keys: ["Escape", "Escape", "Escape"] }),
    );
    await expect
      .poll(async () => (await agent.ok<{ text: string }>("read_pane", { pane })).text, { timeout: 10_000 })
      .toContain("q0");
    // The person takes write and types a mark in the same tick: the pty is one queue, so anything the agent typed
    // after the take would echo after the mark.
    const viewer = tools.host.addViewer(pane, PERSON);
    expect(tools.host.setViewerWrite(pane, viewer.id, true)).toBe(true);
    tools.host.typePersonText(pane, "|");
    const results = await Promise.all(calls);
    const busy = results.filter((result) => result.isError && textOf(result).startsWith("PANE_BUSY:"));
    expect(busy.length).toBeGreaterThan(0);
    expect(textOf(busy[0] as CallToolResult)).toMatch(
      /took write .* while ccmux was typing|person is typing/,
    );
    await expect
      .poll(async () => (await agent.ok<{ text: string }>("read_pane", { pane })).text, { timeout: 10_000 })
      .toContain("|");
    const text = (await agent.ok<{ text: string }>("read_pane", { pane })).text;
    expect(text.slice(text.lastIndexOf("|") + 1).trim()).toBe("");
    tools.host.removeViewer(pane, viewer.id);
  });

  it("send_keys is PANE_BUSY, nothing reaches the pane's input, and it is audited as a refusal", async () => {
    const pane = await shell();
    const person = personTakesWrite(pane);
    const told = await agent.refused(
      "send_keys",
      { pane, text: "echo typed-by-agent", submit: true, wait: { text: "typed-by-agent" } },
      "PANE_BUSY",
    );
    expect(told).toMatch(/^PANE_BUSY: A person is typing in this pane.*try again when they release it/);
    await agent.refused("send_keys", { pane, keys: ["C-c"] }, "PANE_BUSY");
    // The person's line runs exactly as they typed it: the agent's text never joined the line being edited.
    tools.host.typePersonText(pane, "echo person-$((6*7))\r");
    const ran = await agent.ok<Waited>("wait_for", { pane, regex: "^person-42$", timeout_ms: 10_000 });
    expect(ran.matched).toBe(true);
    const read = await agent.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    expect(read.text).not.toContain("typed-by-agent");
    expect(read.text).toMatch(/\$ echo person-\$\(\(6\*7\)\)\nperson-42\n/);

    const refusals = readAudit(ws.auditPath).filter(
      (r) =>
        r.tool === "send_keys" &&
        r.code === "PANE_BUSY" &&
        (r.args as { pane?: string } | undefined)?.pane === pane,
    );
    expect(refusals).toHaveLength(2);
    for (const record of refusals) {
      expect(record).toMatchObject({ event: "call", decision: "deny", origin: "agent" });
      expect(record.reason).toMatch(/person is typing/);
    }
    person.release();
    person.detach();
  });

  it("list_panes and read_pane tell the agent who watches and whether a person types", async () => {
    const pane = await shell();
    const before = await agent.ok<{ panes: Watched[] }>("list_panes");
    expect(listed(before.panes, pane)).toMatchObject({ viewers: 0, personTyping: false });
    expect(await agent.ok<Watched>("read_pane", { pane })).toMatchObject({ viewers: 0, personTyping: false });

    const watcher = tools.host.addViewer(pane, PERSON);
    const person = personTakesWrite(pane);
    const held = await agent.ok<{ panes: Watched[] }>("list_panes");
    expect(listed(held.panes, pane)).toMatchObject({ viewers: 2, personTyping: true });
    expect(await agent.ok<Watched>("read_pane", { pane })).toMatchObject({ viewers: 2, personTyping: true });

    person.release();
    expect(await agent.ok<Watched>("read_pane", { pane })).toMatchObject({ viewers: 2, personTyping: false });
    person.detach();
    tools.host.removeViewer(pane, watcher.id);
    const after = await agent.ok<{ panes: Watched[] }>("list_panes");
    expect(listed(after.panes, pane)).toMatchObject({ viewers: 0, personTyping: false });
  });

  it("once the person releases write, or detaches, the agent types again", async () => {
    const pane = await shell();
    const person = personTakesWrite(pane);
    await agent.refused("send_keys", { pane, text: "echo first", submit: true }, "PANE_BUSY");
    person.release();
    const typed = await agent.ok<{ bytes: number; wait: Waited }>("send_keys", {
      pane,
      text: "echo agent-$((6*7))",
      submit: true,
      wait: { regex: "^agent-42$" },
    });
    expect(typed.wait.matched).toBe(true);

    const again = personTakesWrite(pane);
    await agent.refused("send_keys", { pane, text: "echo second", submit: true }, "PANE_BUSY");
    again.detach();
    const after = await agent.ok<{ wait: Waited }>("send_keys", {
      pane,
      text: "echo detached-$((6*7))",
      submit: true,
      wait: { regex: "^detached-42$" },
    });
    expect(after.wait.matched).toBe(true);
    person.detach();
  });

  it("resize_pane is PANE_BUSY while a person holds write, and the terminal keeps its size", async () => {
    const pane = await shell();
    const person = personTakesWrite(pane);
    await agent.refused("resize_pane", { pane, cols: 100, rows: 30 }, "PANE_BUSY");
    person.release();
    const size = await agent.ok<{ wait: Waited }>("send_keys", {
      pane,
      text: "echo size-$(stty size | tr ' ' x)",
      submit: true,
      wait: { regex: "^size-\\d+x\\d+$" },
    });
    expect(size.wait.text).toMatch(/^size-24x80$/m);
    // Released, the same resize goes through.
    expect(await agent.ok("resize_pane", { pane, cols: 100, rows: 30 })).toEqual({
      pane,
      cols: 100,
      rows: 30,
    });
    const resized = await agent.ok<{ wait: Waited }>("send_keys", {
      pane,
      text: "echo resized-$(stty size | tr ' ' x)",
      submit: true,
      wait: { regex: "^resized-30x100$" },
    });
    expect(resized.wait.matched).toBe(true);
    const refusal = readAudit(ws.auditPath).find((r) => r.tool === "resize_pane" && r.code === "PANE_BUSY");
    expect(refusal).toMatchObject({ event: "call", decision: "deny", origin: "agent" });
    person.detach();
  });

  it("PANE_BUSY never answers for a pane the agent may not use: another session's is PANE_NOT_FOUND", async () => {
    const other = await tools.connect({ session: "another-agent" });
    const theirs = await shell(other);
    const person = personTakesWrite(theirs);
    await agent.refused("send_keys", { pane: theirs, text: "x" }, "PANE_NOT_FOUND");
    await agent.refused("resize_pane", { pane: theirs, cols: 100, rows: 30 }, "PANE_NOT_FOUND");
    // Its own session meets the person.
    await other.refused("send_keys", { pane: theirs, text: "x" }, "PANE_BUSY");
    person.detach();
    await other.close();
  });

  it("a person's read-access pane that a person types in is PANE_FORBIDDEN, not PANE_BUSY; write access is PANE_BUSY", async () => {
    const { panes } = await agent.ok<{ panes: Array<Watched & { name: string }> }>("list_panes");
    const ro = panes.find((each) => each.name === "person-ro")?.pane as string;
    const rw = panes.find((each) => each.name === "person-rw")?.pane as string;
    const onRo = personTakesWrite(ro);
    const onRw = personTakesWrite(rw);
    await agent.refused("send_keys", { pane: ro, text: "x" }, "PANE_FORBIDDEN");
    await agent.refused("resize_pane", { pane: ro, cols: 100, rows: 30 }, "PANE_FORBIDDEN");
    await agent.refused("send_keys", { pane: rw, text: "x" }, "PANE_BUSY");
    await agent.refused("resize_pane", { pane: rw, cols: 100, rows: 30 }, "PANE_BUSY");
    onRo.detach();
    onRw.detach();
  });

  it("a person who takes write while send_keys is under way (race injected) still gets no agent keys", async () => {
    let raceOn: string | undefined;
    let person: { release(): void; detach(): void } | undefined;
    // The race, made reproducible: the person takes write after send_keys' first look at the pane, while it
    // reads the keyboard mode, where a single early check would let the keys through.
    const racing = await tools.connect({
      wrap: (host) =>
        new Proxy(host, {
          get(target, key, receiver) {
            if (key !== "keyboard") return Reflect.get(target, key, receiver);
            return async (id: string) => {
              const state = await target.keyboard(id);
              if (id === raceOn) person ??= personTakesWrite(id);
              return state;
            };
          },
        }) satisfies PaneHost,
    });
    const pane = await shell(racing);
    raceOn = pane;
    await racing.refused("send_keys", { pane, text: "echo raced-in", submit: true }, "PANE_BUSY");
    expect(person).toBeDefined();
    tools.host.typePersonText(pane, "echo person-after-race\r");
    const ran = await racing.ok<Waited>("wait_for", {
      pane,
      regex: "^person-after-race$",
      timeout_ms: 10_000,
    });
    expect(ran.matched).toBe(true);
    const read = await racing.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    expect(read.text).not.toContain("raced-in");
    const allowed = readAudit(ws.auditPath).filter(
      (r) => r.event === "call" && r.tool === "send_keys" && r.pane === pane && r.decision === "allow",
    );
    // Only shell()'s own line was allowed: the raced call was refused before its allow record.
    expect(allowed).toHaveLength(1);
    person?.detach();
    await racing.close();
  });
});
