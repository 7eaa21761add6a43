import { readFileSync } from "node:fs";
import { addon } from "../native/addon.js";

/**
 * Makes this process non-dumpable, then refuses to go on if something already traces it. Throws with a sentence.
 *
 * Security: a same-uid process (an unsandboxed pane) copied a live bridge's daemon socket with pidfd_getfd and
 * spoke for its session; non-dumpable stops that, and ptrace, /proc/PID/{mem,environ,fd}. A second review attached
 * with PTRACE_SEIZE in the moment before the bridge became non-dumpable and then made it dumpable again through
 * an injected prctl; an attached tracer is therefore refused, and this runs first thing, before the command loads.
 */
export function becomeUntraceable(): void {
  addon.setNonDumpable();
  const tracer = /^TracerPid:\s*(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  if (tracer !== undefined && tracer !== "0") {
    throw new Error(`process ${tracer} is tracing this one (ptrace); refusing to run`);
  }
}
