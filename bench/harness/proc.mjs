// Facts about processes (/proc: memory, CPU time, whether one is gone) and about the machine the bench runs on.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { resolve } from "node:path";

/** True once no process has this pid, or only its zombie is left (a detached daemon is not our child). */
/** @param {number} pid */
export function processGone(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

/**
 * CPU time a process has run so far, in ms, summed over its threads (/proc/PID/task/TID/schedstat, first field,
 * ns), or from utime+stime in clock ticks when schedstat is missing (10 ms resolution).
 * @param {number} pid
 */
export function cpuMsOf(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`))
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    return ns / 1e6;
  } catch {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }
}

/**
 * Memory of a process in MiB: resident set and its peak (VmRSS, VmHWM), and the proportional set size (Pss from
 * smaps_rollup: shared pages divided among their sharers; NaN where the kernel has none).
 * @param {number} pid
 */
export function memoryOf(pid) {
  /** @param {string} text @param {string} name */
  const mib = (text, name) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  };
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  let pss = Number.NaN;
  try {
    pss = mib(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"), "Pss");
  } catch {
    // no smaps_rollup (kernel before 4.14)
  }
  return { rss: mib(status, "VmRSS"), hwm: mib(status, "VmHWM"), pss };
}

/** The commit the measured dist/ was built from, and whether src/ had uncommitted changes. */
function buildCommit() {
  /** @param {string[]} args */
  const git = (...args) =>
    spawnSync("git", args, { cwd: resolve(import.meta.dirname, "../.."), encoding: "utf8" });
  const head = git("rev-parse", "--short", "HEAD");
  if (head.status !== 0) return "unknown (no git)";
  const dirty = git("status", "--porcelain", "--", "src").stdout.trim() !== "";
  return `${head.stdout.trim()}${dirty ? " + uncommitted changes in src/" : ""}`;
}

/**
 * The machine a run describes itself with.
 * @param {string | null} tmux `tmux -V`, or null when tmux is not measured.
 */
export function machineInfo(tmux) {
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model.trim() ?? "unknown",
    cores: cpuList.length,
    ramMiB: Math.round(totalmem() / 2 ** 20),
    kernel: `${process.platform} ${release()}`,
    node: process.version,
    tmux,
    commit: buildCommit(),
  };
}
