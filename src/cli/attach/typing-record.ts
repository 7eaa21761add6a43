/** What a person typed is recorded once this much has gathered (UTF-16 code units)... */
const RECORD_CHARS = 4096;
/** ...or after this long without typing (ms). */
const QUIET_MS = 1000;

/**
 * Gathers what a person types into a pane into audit records: one per burst of typing (a second without a key)
 * or per RECORD_CHARS, so a person typing a line is one record, not one per key. `flush` records what is pending
 * now (on release of write, on detach).
 */
export class TypingRecord {
  private pending = "";
  private timer: NodeJS.Timeout | undefined;
  /** When the last text was added (performance.now(), ms). */
  private lastAt = 0;

  /**
   * @param record receives each gathered text (the audit log keeps its length and SHA-256 under redactInput).
   * @param clock the time in ms (performance.now by default).
   */
  constructor(
    private readonly record: (text: string) => void,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  add(text: string): void {
    this.pending += text;
    this.lastAt = this.clock();
    if (this.pending.length >= RECORD_CHARS) this.flush();
    // One timer per burst, not one per key (a key's clearTimeout and setTimeout were a fifth of the daemon's
    // work per keystroke while a person typed, issue 13): when it fires early it waits out the rest.
    else if (this.timer === undefined) this.waitQuiet(QUIET_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === "") return;
    const text = this.pending;
    this.pending = "";
    this.record(text);
  }

  /** Flushes once QUIET_MS have passed since the last key, checking again after `ms`. */
  private waitQuiet(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const quietFor = this.clock() - this.lastAt;
      if (quietFor >= QUIET_MS) this.flush();
      else this.waitQuiet(QUIET_MS - quietFor);
    }, ms);
  }
}
