// Every workload, in the order a full run takes them: the latency rows first, while the machine is quiet; the
// memory rows last, on fresh servers.
import agentJobs from "./agent-jobs.mjs";
import attach from "./attach.mjs";
import auditWrites from "./audit-writes.mjs";
import daemonMemory from "./daemon-memory.mjs";
import daemon from "./daemon-rows.mjs";
import extras from "./extras.mjs";
import ingest from "./ingest.mjs";
import interference from "./interference.mjs";
import journal from "./journal.mjs";
import keystroke from "./keystroke.mjs";
import memory from "./memory.mjs";
import reconnect from "./reconnect.mjs";
import roundTrip from "./round-trip.mjs";
import runLatency from "./run-latency.mjs";
import sandbox from "./sandbox.mjs";
import spawn from "./spawn.mjs";

/** @type {import("../harness/rows.mjs").Workload[]} */
export const WORKLOADS = [
  roundTrip,
  keystroke,
  daemon,
  reconnect,
  attach,
  spawn,
  sandbox,
  interference,
  ingest,
  extras,
  auditWrites,
  runLatency,
  agentJobs,
  journal,
  memory,
  daemonMemory,
];
