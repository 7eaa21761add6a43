import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { isAbsolute } from "node:path";
import { currentUid, privacyProblem } from "../shared/owner-check.js";
import { DaemonUntrusted } from "./daemon-errors.js";

/** The info file's fields, each with what it must be: an unknown field or a wrong type makes the file untrusted. */
const INFO_FIELDS: Readonly<Record<keyof DaemonInfo, (value: unknown) => string | undefined>> = {
  version: (value) => (value === 1 ? undefined : "must be 1"),
  policy: absolutePath,
  policyHash: (value) =>
    typeof value === "string" && /^[0-9a-f]{64}$/.test(value) ? undefined : "must be 64 lowercase hex digits",
  socket: absolutePath,
  pid: (value) =>
    Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= PID_MAX_LIMIT
      ? undefined
      : `must be a pid (1 to ${PID_MAX_LIMIT})`,
  started: (value) =>
    typeof value === "string" && ISO_INSTANT.test(value) && realInstant(value)
      ? undefined
      : "must be an ISO 8601 time in UTC",
  ccmux: (value) =>
    typeof value === "string" && value.length > 0 ? undefined : "must be a non-empty string",
  policyBytes: (value) =>
    value === undefined ||
    (typeof value === "string" && value.length <= MAX_POLICY_BASE64 && BASE64.test(value))
      ? undefined
      : `must be base64 of at most ${MAX_POLICY_IN_INFO} bytes`,
};

/** Standard base64 with padding, as Buffer#toString("base64") writes it. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What `new Date().toISOString()` writes (and other UTC times to the second or finer). */
const ISO_INSTANT = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?Z$/;

/** Linux's largest pid_max (PID_MAX_LIMIT on 64-bit). */
const PID_MAX_LIMIT = 4_194_304;

/**
 * A date that exists (2026-02-31 does not; Date.parse rolls it over to March); ISO_INSTANT has checked the rest.
 * Counted by hand: a Date's ISO string makes V8 set up its time zone cache from ICU, about 1 MiB of a bridge's
 * memory (issue 16).
 */
function realInstant(value: string): boolean {
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return Number(value.slice(8, 10)) <= days;
}

function absolutePath(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 && isAbsolute(value) && !value.includes("\0")
    ? undefined
    : "must be an absolute path";
}

/**
 * `value` as DaemonInfo, or the first thing wrong with it (`field: what it must be`). Hand-written rather than a
 * zod schema: the bridge (`serve --daemon`) reads this file on every start and loads nothing it need not.
 */
export function infoProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "must be an object";
  for (const key of Object.keys(value)) if (!Object.hasOwn(INFO_FIELDS, key)) return `${key}: is not a field`;
  for (const [key, check] of Object.entries(INFO_FIELDS)) {
    const problem = check((value as Record<string, unknown>)[key]);
    if (problem !== undefined) return `${key}: ${problem}`;
  }
  return undefined;
}

/** `<key>.json`: which socket and pid serve one policy file. */
export type DaemonInfo = {
  version: 1;
  /** The policy file's realpath. */
  policy: string;
  /** sha256 (hex) of the policy file's bytes when the daemon started: the policy is frozen at start. */
  policyHash: string;
  /** The daemon's socket, an absolute path inside the socket directory. */
  socket: string;
  /** The daemon's pid (the lock holder, and the listening process). */
  pid: number;
  /** When the daemon started, ISO 8601. */
  started: string;
  /** The ccmux package version that started it. */
  ccmux: string;
  /**
   * The policy file's bytes the daemon enforces, base64; left out for a policy over MAX_POLICY_IN_INFO bytes. A
   * bridge compares them with the file's bytes now (policyBytesOf), which needs no hash and so no node:crypto in
   * the bridge (issue 16).
   */
  policyBytes?: string;
};

/** The largest policy whose bytes the info file carries (policyBytes); a bigger one is compared by policyHash. */
export const MAX_POLICY_IN_INFO = 256 * 1024;
const MAX_POLICY_BASE64 = Math.ceil(MAX_POLICY_IN_INFO / 3) * 4;

/** An info file is small: its fields and a policy of at most MAX_POLICY_IN_INFO bytes; a bigger one was not written by ccmux. */
const MAX_INFO_BYTES = 16 * 1024 + MAX_POLICY_BASE64;

/** DaemonInfo.policyBytes of the policy `bytes` (base64), or nothing when the policy is too big to be carried. */
export function policyBytesField(bytes: Uint8Array): Pick<DaemonInfo, "policyBytes"> {
  return bytes.byteLength <= MAX_POLICY_IN_INFO ? { policyBytes: Buffer.from(bytes).toString("base64") } : {};
}

/**
 * Whether the daemon of `info` enforces exactly `bytes`, told from policyBytes (no hash: see there); undefined
 * when its info does not carry them (a big policy), and only policyHash can tell.
 */
export function enforcesBytes(info: DaemonInfo, bytes: Uint8Array): boolean | undefined {
  if (info.policyBytes === undefined) return undefined;
  return Buffer.from(bytes).toString("base64") === info.policyBytes;
}

/**
 * Reads and validates the info file at `path`. Throws DaemonUntrusted unless it is (by fstat of the opened file,
 * never following a symlink) a regular file owned by `uid` with no group/other bits, at most 16 KiB of JSON that
 * matches DaemonInfo exactly. `reason` is `missing` when there is no file.
 */
export function readInfo(path: string, uid: number = currentUid()): DaemonInfo {
  let fd: number;
  try {
    // Security: a symlink (O_NOFOLLOW) or a FIFO (O_NONBLOCK: open would wait for a writer forever) planted at the
    // info file's name is refused, not followed or waited on.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new DaemonUntrusted("missing", path, `${path} does not exist`, { cause: error });
    if (code === "ELOOP")
      throw new DaemonUntrusted(
        "symlink",
        path,
        `the daemon info file ${path} is a symbolic link; remove it (rm ${path})`,
        {
          cause: error,
        },
      );
    throw new DaemonUntrusted(
      "io",
      path,
      `cannot open the daemon info file ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  try {
    const st = fstatSync(fd);
    const problem = privacyProblem(st, path, "file", uid);
    // Security: an info file another user wrote, or could have rewritten, could point us at their socket.
    if (problem) throw new DaemonUntrusted(problem.reason, path, `the daemon info file ${problem.message}`);
    // Sized by the file (a bridge allocates no more than it reads), and one byte more: a file that grew since
    // fstat reads as too long, never cut short.
    const buffer = Buffer.alloc(Math.min(st.size, MAX_INFO_BYTES) + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > MAX_INFO_BYTES || length >= buffer.length)
      throw new DaemonUntrusted(
        "malformed",
        path,
        `the daemon info file ${path} is larger than ${MAX_INFO_BYTES} bytes; remove it`,
      );
    let json: unknown;
    try {
      json = JSON.parse(buffer.subarray(0, length).toString("utf8"));
    } catch (error) {
      throw new DaemonUntrusted("malformed", path, `the daemon info file ${path} is not JSON; remove it`, {
        cause: error,
      });
    }
    const wrong = infoProblem(json);
    if (wrong !== undefined) {
      throw new DaemonUntrusted(
        "malformed",
        path,
        `the daemon info file ${path} is not one this ccmux writes (${wrong}); remove it`,
      );
    }
    return json as DaemonInfo;
  } finally {
    closeSync(fd);
  }
}
