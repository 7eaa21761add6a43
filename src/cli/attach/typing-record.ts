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

  /** @param record receives each gathered text (the audit log keeps its length and SHA-256 under redactInput). */
  constructor(private readonly record: (text: string) => void) {}

  add(text: string): void {
    this.pending += text;
    clearTimeout(this.timer);
    if (this.pending.length >= RECORD_CHARS) this.flush();
    else this.timer = setTimeout(() => this.flush(), QUIET_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === "") return;
    const text = this.pending;
    this.pending = "";
    this.record(text);
  }
}
