import { readdirSync } from "node:fs";
import { createRequire } from "node:module";

interface FdFlagsAddon {
  setCloexec(fd: number, on: boolean): void;
}

// The addon is built by `npm install` (binding.gyp, native/fd-flags.c) into build/Release, two levels above
// both src/panes and dist/panes.
const addon = createRequire(import.meta.url)("../../build/Release/fd_flags.node") as FdFlagsAddon;

/** Marks `fd` close-on-exec (or inheritable when `on` is false). Throws when fd is not open. */
export function setCloseOnExec(fd: number, on = true): void {
  addon.setCloexec(fd, on);
}

/**
 * Marks every descriptor this process holds above stderr close-on-exec, so pane processes inherit none of
 * them: not the server's own files, and not descriptors its parent (the MCP client) let it inherit.
 */
export function closeOnExecAll(): void {
  let entries: string[];
  try {
    entries = readdirSync("/proc/self/fd");
  } catch {
    return;
  }
  for (const entry of entries) {
    const fd = Number(entry);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    try {
      addon.setCloexec(fd, true);
    } catch {
      // closed meanwhile (the directory listing's own descriptor, for one)
    }
  }
}
