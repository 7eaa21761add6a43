// A bench workspace: a temporary directory with the workspace root, a private state directory for the audit log,
// the policy file, and the environment every ccmux process of the bench gets; and the text files panes print.
import { once } from "node:events";
import {
  chmodSync,
  chownSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The built CLI the bench measures (`npm run build` first). */
export const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");

/**
 * @typedef {object} Workspace
 * @property {string} dir The temporary directory holding everything below.
 * @property {string} root The workspace root panes run in (`dir/ws`).
 * @property {string} policyPath
 * @property {string} auditPath
 * @property {() => void} cleanup Removes `dir`.
 */

/**
 * A temp dir holding `ws/` (the workspace root), `state/` (0700, the audit log) and the policy file, which is
 * `policy` with the workspace and the audit settings added.
 * @param {Record<string, unknown>} policy
 * @returns {Workspace}
 */
export function makeWorkspace(policy) {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "ccmux-bench-")));
  const root = join(dir, "ws");
  mkdirSync(root);
  mkdirSync(join(dir, "state"), { mode: 0o700 });
  const auditPath = join(dir, "state", "audit.jsonl");
  const policyPath = join(dir, "ccmux.json");
  // A root server runs panes as `nobody` when root owns the workspace (README): give it the workspace.
  if (process.getuid?.() === 0) {
    chmodSync(dir, 0o711);
    chownSync(root, 65534, 65534);
  }
  // The bench drives thousands of calls a minute: the per-connection audit budget must not be what it measures.
  const audit = { path: auditPath, connectionBytesPerMinute: 1_000_000_000 };
  writeFileSync(policyPath, JSON.stringify({ workspace: ["ws"], audit, ...policy }, null, 2));
  return { dir, root, policyPath, auditPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment panes and the tmux peers get: what the bench policies pass (env.pass). */
export const PANE_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? "/root",
  LANG: "C.UTF-8",
};

/**
 * The environment of every ccmux process of the bench: PANE_ENV and XDG directories inside the workspace's dir.
 * @param {Workspace} ws
 * @returns {Record<string, string>}
 */
export function cliEnv(ws) {
  return {
    ...PANE_ENV,
    XDG_STATE_HOME: join(ws.dir, "xdg-state"),
    XDG_CONFIG_HOME: join(ws.dir, "xdg-config"),
  };
}

/**
 * Writes `lines` lines of printable ASCII, each `width` characters before its newline, then an optional last line
 * (no newline after it when `finalNewline` is false). Resolves with the size in bytes.
 * @param {string} path
 * @param {{ lines: number, width: number, last?: string, finalNewline?: boolean }} shape
 */
export async function writeTextFile(path, { lines, width, last, finalNewline = true }) {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_=+()[]{}<>/?!@#%&*";
  const pattern = alphabet.repeat(Math.ceil((width * 2) / alphabet.length) + 1);
  const out = createWriteStream(path);
  let size = 0;
  let chunk = "";
  for (let i = 0; i < lines; i++) {
    const head = `${String(i).padStart(9, "0")} `;
    const offset = i % alphabet.length;
    chunk += `${head}${pattern.slice(offset, offset + width - head.length)}\n`;
    if (chunk.length >= 1 << 20) {
      size += chunk.length;
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  if (last !== undefined) chunk += finalNewline ? `${last}\n` : last;
  size += chunk.length;
  out.end(chunk);
  await once(out, "finish");
  return size;
}
