/** What a validated bash reports on its report channel (bash-text.ts writes these; fields end in NUL). */
export type ShellReport =
  | { kind: "ready"; cwd: string }
  /** A command starts; `stopped`: the process ids of the shell's jobs stopped before it. */
  | { kind: "start"; nonce: string; stopped: string[] }
  /** A command ended; `stopped`: the process ids of the shell's jobs stopped now (C-z). */
  | { kind: "done"; nonce: string; status: number; cwd: string; stopped: string[] };

/** The longest field accepted: a path (PATH_MAX) with room to spare; a longer one is a broken channel. */
const MAX_FIELD_BYTES = 8192;
const FIELDS = { ready: 1, start: 2, done: 4 } as const;

/**
 * Splits the report channel's bytes into reports, across reads. `push` returns the reports completed by `chunk`,
 * or throws when the channel carries something bash-text.ts never writes (an unknown kind, a status that is not
 * a number, an oversized field): the shell can no longer be believed, and the caller ends it.
 */
export class ShellReportReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private fields: string[] = [];

  push(chunk: Buffer): ShellReport[] {
    const reports: ShellReport[] = [];
    let start = 0;
    for (let nul = chunk.indexOf(0, start); nul >= 0; nul = chunk.indexOf(0, start)) {
      this.take(chunk.subarray(start, nul));
      this.fields.push(decodeField(Buffer.concat(this.pending)));
      this.pending = [];
      this.pendingBytes = 0;
      start = nul + 1;
      const report = this.complete();
      if (report) reports.push(report);
    }
    this.take(chunk.subarray(start));
    return reports;
  }

  private take(piece: Buffer): void {
    this.pendingBytes += piece.length;
    if (this.pendingBytes > MAX_FIELD_BYTES) throw new Error("a report field is too long");
    if (piece.length > 0) this.pending.push(Buffer.from(piece));
  }

  private complete(): ShellReport | undefined {
    const [kind, ...rest] = this.fields;
    if (kind !== "ready" && kind !== "start" && kind !== "done") {
      throw new Error(`an unknown report ${JSON.stringify(kind)}`);
    }
    if (rest.length < FIELDS[kind]) return undefined;
    this.fields = [];
    if (kind === "ready") return { kind, cwd: rest[0] as string };
    if (kind === "start") return { kind, nonce: rest[0] as string, stopped: pids(rest[1] as string) };
    const [nonce, status, cwd, stopped] = rest as [string, string, string, string];
    if (!/^\d{1,3}$/.test(status))
      throw new Error(`a status that is not a number: ${JSON.stringify(status)}`);
    return { kind, nonce, status: Number(status), cwd, stopped: pids(stopped) };
  }
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A field's text; "" when its bytes are not UTF-8. Security: a directory whose name is not UTF-8 would decode
 * lossily (U+FFFD) into the name of another directory, against which ccmux would then check relative paths: an
 * unknown directory ("") makes them refused instead, until a `cd` to an absolute one.
 */
function decodeField(bytes: Buffer): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return "";
  }
}

/** `jobs -p`'s lines: process ids. */
function pids(field: string): string[] {
  return field.split("\n").filter((line) => /^\d+$/.test(line));
}
