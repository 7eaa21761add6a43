import { readdirSync } from "node:fs";
import { addon } from "../native/addon.js";

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
