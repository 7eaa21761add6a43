import type { Mount } from "./mount-plan.js";

/**
 * Mounts a spawn may spend on what panes can multiply: protections of workspace paths (every nested repository
 * costs one or more) and hidden paths inside writable areas. bwrap re-reads the mount table for each bind, so the
 * cost grows with the square: 250 binds took 0.17 s, 500 took 0.9 s, 1 000 took 3.2 s on the 2-core CI machine.
 */
export const MAX_PANE_GROWN_MOUNTS = 300;
/**
 * bwrap refuses more than 9 000 arguments in all, the program's own included (bubblewrap.c, MAX_ARGS); mounts
 * keep to 6 000 of them.
 */
export const MAX_MOUNT_ARGS = 6000;
/** Bytes of mount arguments: the kernel caps argv and environment together (ARG_MAX, 2 MiB by default). */
export const MAX_MOUNT_ARG_BYTES = 512 * 1024;

/** At most bwrap arguments one mount takes (`--tmpfs P --remount-ro P`). */
const ARGS_PER_MOUNT = 4;

function bytesOf(mount: Mount): number {
  const path = Buffer.byteLength(mount.path) + 1;
  return 2 * path + 24 + (mount.op === "symlink" ? Buffer.byteLength(mount.target) : 0);
}

/**
 * Keeps a spawn's mounts within what bwrap accepts and what costs little. Mounts the host decides (hiding
 * secrets, binding the workspace) are always counted in; mounts a pane can multiply are admitted while they fit.
 */
export class MountBudget {
  private grown = 0;
  private args = 0;
  private bytes = 0;
  /** Mounts left out for want of room. */
  skipped = 0;

  constructor(
    private readonly limits = {
      grown: MAX_PANE_GROWN_MOUNTS,
      args: MAX_MOUNT_ARGS,
      bytes: MAX_MOUNT_ARG_BYTES,
    },
  ) {}

  /** Whether not even one more mount a pane could multiply fits. */
  get full(): boolean {
    return this.grown >= this.limits.grown || this.args + ARGS_PER_MOUNT > this.limits.args;
  }

  /** Counts a mount that is made whatever the budget says. */
  always(mount: Mount): Mount {
    this.args += ARGS_PER_MOUNT;
    this.bytes += bytesOf(mount);
    return mount;
  }

  /** Whether a mount a pane could multiply fits; when it does it is counted, when not it is tallied as skipped. */
  admit(mount: Mount): boolean {
    const bytes = bytesOf(mount);
    if (
      this.grown + 1 > this.limits.grown ||
      this.args + ARGS_PER_MOUNT > this.limits.args ||
      this.bytes + bytes > this.limits.bytes
    ) {
      this.skipped++;
      return false;
    }
    this.grown++;
    this.args += ARGS_PER_MOUNT;
    this.bytes += bytes;
    return true;
  }
}
