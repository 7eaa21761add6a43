import { type BigIntStats, lstatSync } from "node:fs";
import type { Mount, MountPlan } from "./mount-plan.js";

/**
 * What a sandbox built ahead of its spawn (a spare, issue 16) was built from: its mounts, in order, and which
 * file each mounted path was then (device and inode; null when missing).
 */
export interface PlanFit {
  readonly mounts: readonly Mount[];
  readonly identities: readonly (string | null)[];
}

/**
 * Which file a path names: device, inode, type and birth time. The birth time tells a file made again apart from
 * the one before it, which may get the freed inode number (ext4 often gives it); it does not change when the
 * file is written (0 where the filesystem keeps none).
 */
function identityOf(path: string): string | null {
  let stat: BigIntStats | undefined;
  try {
    stat = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return null;
  }
  if (stat === undefined) return null;
  return `${stat.dev}:${stat.ino}:${stat.mode & 0o170000n}:${stat.birthtimeNs}`;
}

/** The fit of `plan` as the disk is now. */
export function fitOf(plan: MountPlan): PlanFit {
  return { mounts: plan.mounts, identities: plan.mounts.map((mount) => identityOf(mount.path)) };
}

/**
 * Whether a spare built from `fit` gives the pane what a sandbox built now (`now`, planned just before) would.
 * Security: the spare's mounts were planned, and bound to the files that were there, when it was built. A pane
 * may since have made a repository, planted a link, or swapped a protected directory for its own (a bind follows
 * the directory it was made on, wherever it is moved); a person may have made a secret file in a hidden place.
 * So the plan is made again and must be the same mount for mount, and every mounted path must still be the
 * same file; otherwise the spare is not used.
 */
export function stillFits(fit: PlanFit, now: MountPlan): boolean {
  if (now.mounts.length !== fit.mounts.length) return false;
  for (const [i, mount] of now.mounts.entries()) {
    if (!sameMount(mount, fit.mounts[i])) return false;
    if (identityOf(mount.path) !== fit.identities[i]) return false;
  }
  return true;
}

function sameMount(a: Mount, b: Mount | undefined): boolean {
  if (b === undefined || a.op !== b.op || a.path !== b.path) return false;
  return a.op !== "symlink" || (b.op === "symlink" && a.target === b.target);
}
