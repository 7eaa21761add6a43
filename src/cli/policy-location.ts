import { existsSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { configDir } from "./paths.js";

export const POLICY_FILE_NAME = "ccmux.json";

/** Where the policy is: a file to read (and a note for stderr), or why there is none. */
export type PolicyLocation = { file: string; note?: string } | { file?: undefined; problem: string };

/**
 * The one way `serve`, `policy check` and `doctor` find the policy: `--config FILE` (relative to the current
 * directory), else `$XDG_CONFIG_HOME/ccmux/ccmux.json` (`~/.config/ccmux/ccmux.json`).
 * Security: ./ccmux.json is never picked up unasked — the current directory is usually a workspace, where a
 * pane could write a policy for the next start (with the sandbox off); the user config dir is hidden from
 * panes. A ./ccmux.json that is passed over is named in the note or the problem.
 */
export function findPolicy(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): PolicyLocation {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    return realPathNotUtf8(file)
      ? { problem: `the real path of ${file} is not valid UTF-8; move the policy to a path that is` }
      : { file };
  }
  const user = join(configDir(env), POLICY_FILE_NAME);
  const local = existsSync(join(cwd, POLICY_FILE_NAME));
  const unasked = `./${POLICY_FILE_NAME} is not used unasked (a pane could have written it); pass --config ${POLICY_FILE_NAME} to use it`;
  if (existsSync(user)) return local ? { file: user, note: `using ${user}; ${unasked}` } : { file: user };
  return {
    problem: local
      ? `no policy at ${user}, and ${unasked}.`
      : `no policy found (looked in ${user}). Create one with \`ccmux init\` and pass it with --config FILE.`,
  };
}

/**
 * Whether `file`'s real path has bytes that are not UTF-8. Security: Node names files by strings and reads such
 * bytes as U+FFFD, so `ln -s 'u\xff' link; --config link/ccmux.json` loaded `u\uFFFD/ccmux.json`, another file
 * (an attack review); the daemon's key and the bridge's check went by that other path too.
 */
function realPathNotUtf8(file: string): boolean {
  let bytes: Buffer;
  try {
    bytes = realpathSync.native(file, { encoding: "buffer" });
  } catch {
    return false; // missing: reading it says so
  }
  return !Buffer.from(bytes.toString("utf8"), "utf8").equals(bytes);
}

/**
 * The directory a policy's relative paths resolve against: that of its real path. Security: a daemon serves one
 * policy file (keyed by its real path), and a bridge joins it when the file's bytes match; resolved against the
 * path as typed, the same bytes meant another workspace through a symlinked directory, and whichever spelling
 * started the daemon decided it (an attack review).
 */
export function policyBaseDir(file: string): string {
  try {
    return dirname(realpathSync(file));
  } catch {
    return dirname(resolve(file));
  }
}
