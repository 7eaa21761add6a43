// Keystroke→visible, the workload several rows share: type `echo K…''Q` + Enter into bash and time until bash's
// output line `K…Q` shows. The typed command line shows `K…''Q`, so only bash's own output matches.
import { waitMatched } from "./mcp-server.mjs";
import { now, OwnClock } from "./sampling.mjs";
import { pollUntil } from "./tmux-server.mjs";

const rand = () => Math.random().toString(36).slice(2, 10);

/** A fresh token and the command line that makes bash print it. */
function echoToken() {
  const token = `K${rand()}${rand()}Q`;
  return { token, command: `echo ${token.slice(0, -1)}''Q` };
}

/**
 * bash --norc --noprofile in a new pane spawned through `spawner`, answering. `type(server)` sends one echo with
 * send_keys and waits for its output with wait_for, through `server` (default: the spawner); `poll()` waits by
 * read_pane back-to-back instead, resolving with the number of reads.
 * @param {import("./mcp-server.mjs").Server} spawner
 * @param {{ cols: number, rows: number }} shape
 */
export async function ccmuxBash(spawner, shape) {
  const { pane } = await spawner.spawn({ command: "bash --norc --noprofile", ...shape });
  await spawner.ok("send_keys", { pane, text: "echo READY$((40+2))", submit: true });
  await waitMatched(spawner, { pane, text: "READY42", timeout_ms: 10_000 }, "bash to start");
  return {
    pane,
    /** @param {import("./mcp-server.mjs").ToolCaller} [server] */
    async type(server = spawner) {
      const { token, command } = echoToken();
      await server.ok("send_keys", { pane, text: command, submit: true });
      await waitMatched(server, { pane, text: token, timeout_ms: 10_000 }, "the echoed token");
    },
    async poll() {
      const { token, command } = echoToken();
      await spawner.ok("send_keys", { pane, text: command, submit: true });
      for (let reads = 1; reads <= 100_000; reads++)
        if ((await spawner.ok("read_pane", { pane })).text.includes(token)) return reads;
      throw new Error(`read_pane never showed token ${token}`);
    },
    close: () => spawner.kill(pane),
  };
}

/**
 * bash in a new tmux session `session` (its only window) with a control client on it. `type()` sends the echo with
 * one tmux client process (`send-keys`, as tmux-mcp does) and `typeControl()` over the control connection; each is
 * timed until the output line arrives in a %output notification (an OwnClock), then checks (untimed) that
 * capture-pane shows it.
 * @param {import("./tmux-server.mjs").TmuxServer} tm
 * @param {string} session
 * @param {{ cols: number, rows: number, cwd: string }} shape
 */
export async function tmuxBash(tm, session, shape) {
  const pane = await tm.newSession(session, shape, "bash", "--norc", "--noprofile");
  const control = await tm.control(session);
  /** @param {(command: string) => Promise<unknown>} send */
  const typeWith = async (send) => {
    const { token, command } = echoToken();
    const seen = control.next((p, text) => p === pane && text.includes(token), 10_000, `token ${token}`);
    const start = now();
    await send(command);
    const ms = (await seen).at - start;
    await pollUntil(async () => (await control.run(["capture-pane", "-p", "-t", pane])).includes(token), {
      timeoutMs: 10_000,
      what: `token ${token} on tmux's screen`,
    });
    return new OwnClock(ms);
  };
  await typeWith((command) => tm.run("send-keys", "-t", pane, command, "Enter"));
  return {
    pane,
    type: () => typeWith((command) => tm.run("send-keys", "-t", pane, command, "Enter")),
    typeControl: () => typeWith((command) => control.run(["send-keys", "-t", pane, command, "Enter"])),
    async close() {
      await control.close();
      await tm.run("kill-session", "-t", session);
    },
  };
}
