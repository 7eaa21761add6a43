import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { addon } from "../native/addon.js";

/** node-pty's native module as its UnixTerminal calls it: `fork` is looked up on it at each spawn. */
interface NodePtyNative {
  fork: typeof addon.ptySpawn;
}

const require = createRequire(import.meta.url);

/**
 * node-pty's native module, the same object its UnixTerminal holds (require caches it by path): node-pty 1.x
 * loads `build/Release/pty.node` beside its `lib` (utils.loadNativeModule; Linux has no prebuilds). Undefined when
 * it is not there (another layout): spawns then fork as node-pty does.
 */
function nodePtyNative(): NodePtyNative | undefined {
  try {
    const native = require(
      join(dirname(require.resolve("node-pty")), "../build/Release/pty.node"),
    ) as unknown;
    return typeof (native as Partial<NodePtyNative>).fork === "function"
      ? (native as NodePtyNative)
      : undefined;
  } catch {
    return undefined;
  }
}

const native = nodePtyNative();

/**
 * Runs `spawn` (a node-pty spawn on this thread) with node-pty's native fork replaced by addon.ptySpawn, which
 * starts the program with posix_spawn instead of forking this process: about 1 ms of this thread instead of a
 * fork's 5-16 ms (issue 16). Everything else node-pty does (its socket, writes, resize, the exit after the last
 * output) is unchanged. `used` tells whether the replacement served the spawn: false when node-pty's layout is not
 * the one known, and the spawn forked as usual. Depends on node-pty's internals (its native module's path, and
 * `fork` looked up on it at each spawn); the test of PtyProcess's `spawnWith: "posix_spawn"` fails if they change.
 */
export function withPosixSpawn<T>(spawn: () => T): { value: T; used: boolean } {
  if (native === undefined) return { value: spawn(), used: false };
  const fork = native.fork;
  let used = false;
  native.fork = (...args) => {
    used = true;
    return addon.ptySpawn(...args);
  };
  try {
    return { value: spawn(), used };
  } finally {
    native.fork = fork;
  }
}
