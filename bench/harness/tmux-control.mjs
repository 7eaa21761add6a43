// A tmux control-mode client (`tmux -C attach -f ignore-size`): commands over one open connection instead of one
// process each, and `%output` notifications, which carry what a pane's program wrote the moment the tmux server
// reads it. Waiting on those is tmux's own clock: nothing polls, so no measuring process competes for the CPU.
import { spawn } from "node:child_process";
import { now } from "./sampling.mjs";

/** @param {string} data A %output payload: tmux escapes bytes below space, and backslash, as \ooo. */
const decode = (data) =>
  data.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(Number.parseInt(octal, 8)));

/** Keeps the last this many characters of each pane's output per watch. */
const WATCH_KEEP = 64 * 1024;

/**
 * @typedef {(pane: string, text: string) => boolean} OutputTest
 * @typedef {{ test: OutputTest, texts: Map<string, string>, done: (seen: Seen) => void }} Watch
 * @typedef {{ at: number, pane: string }} Seen When (now()) and in which pane the awaited output arrived.
 */

/**
 * Attaches a control client to `session` of the tmux server that `socket` names (`["-S", path]` or `["-L", name]`)
 * and resolves once the attach has answered. `run(args)` sends one command, resolving with its output; `next(test)`
 * resolves with the time (now()) and pane of the first %output after which `test(pane, text)` holds, `text` being
 * everything that pane wrote since the call (decoded), and rejects after `limitMs`. The client never sizes the
 * session's windows.
 * @param {{ socket: string[], env: Record<string, string>, session: string }} options
 */
export async function controlClient({ socket, env, session }) {
  const child = spawn("tmux", [...socket, "-C", "attach", "-f", "ignore-size", "-t", session], {
    env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  /** @type {Array<{ resolve: (text: string) => void, reject: (error: Error) => void }>} */
  const waiting = [];
  /** @type {Set<Watch>} */
  const watches = new Set();
  /** @type {{ lines: string[], mine: boolean } | null} */
  let block = null;
  let rest = "";
  /** @type {() => void} */
  let attached = () => {};
  const ready = new Promise((resolve) => {
    attached = () => resolve(undefined);
  });
  /** @param {string} line @param {number} at */
  const onLine = (line, at) => {
    if (block) {
      if (!line.startsWith("%end ") && !line.startsWith("%error ")) return void block.lines.push(line);
      const text = block.lines.length ? `${block.lines.join("\n")}\n` : "";
      const done = block.mine ? waiting.shift() : undefined;
      block = null;
      if (!done) return attached();
      if (line.startsWith("%end ")) done.resolve(text);
      else done.reject(new Error(`tmux control: ${text.trim()}`));
    } else if (line.startsWith("%begin ")) {
      // "%begin TIME NUMBER FLAGS": flags 1 marks a command this client sent (0: the attach itself).
      block = { lines: [], mine: line.endsWith(" 1") };
    } else if (line.startsWith("%session-changed ")) {
      attached();
    } else if (line.startsWith("%output ") && watches.size > 0) {
      const space = line.indexOf(" ", "%output ".length);
      const pane = line.slice("%output ".length, space);
      const data = decode(line.slice(space + 1));
      for (const watch of watches) {
        const text = `${watch.texts.get(pane) ?? ""}${data}`.slice(-WATCH_KEEP);
        watch.texts.set(pane, text);
        if (watch.test(pane, text)) watch.done({ at, pane });
      }
    }
  };
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    const at = now();
    rest += chunk;
    for (let end = rest.indexOf("\n"); end >= 0; end = rest.indexOf("\n")) {
      const line = rest.slice(0, end);
      rest = rest.slice(end + 1);
      onLine(line, at);
    }
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.once("exit", () => {
    for (const done of waiting.splice(0)) done.reject(new Error("tmux control: the client exited"));
  });
  await Promise.race([
    ready,
    exited.then(() => {
      throw new Error(`tmux control: attach to ${session} failed`);
    }),
  ]);
  /** @param {string} arg */
  const quote = (arg) => `'${arg.replaceAll("'", `'\\''`)}'`;
  return {
    /** @param {string[]} args */
    run(args) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${args.map(quote).join(" ")}\n`);
      });
    },
    /**
     * @param {OutputTest} test
     * @param {number} limitMs
     * @param {string} what Named in the error when nothing matches in time.
     * @returns {Promise<Seen>}
     */
    next(test, limitMs, what) {
      return new Promise((resolve, reject) => {
        /** @type {Watch} */
        const watch = {
          test,
          texts: new Map(),
          done: (seen) => {
            watches.delete(watch);
            clearTimeout(timer);
            resolve(seen);
          },
        };
        const timer = setTimeout(() => {
          watches.delete(watch);
          reject(new Error(`tmux control: no output with ${what} within ${limitMs} ms`));
        }, limitMs);
        watches.add(watch);
      });
    },
    /** Detaches (ends stdin), and kills the client if it has not exited within 2 s. */
    async close() {
      child.stdin.end();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what it strips.
const ESCAPE_SEQUENCE = /\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|.)/g;

/**
 * True when `text` (a pane's output) shows a visible character once escape sequences are left out.
 * @param {string} text
 */
export function showsText(text) {
  return /\S/.test(text.replace(ESCAPE_SEQUENCE, ""));
}
