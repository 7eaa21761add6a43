/** The default escape key of `ccmux attach`: Ctrl-] (telnet's, rarely bound by programs). */
export const DEFAULT_ESCAPE_KEY = "C-]";

/**
 * The byte a control key spec names: `C-x` or `^x` for x in `@`, A–Z (any case), `[`, `\`, `]`, `^`, `_`.
 * Undefined for anything else (a printable key would make that character untypeable).
 */
export function escapeKeyByte(spec: string): number | undefined {
  const match = /^(?:C-|\^)(.)$/i.exec(spec);
  const key = match?.[1]?.toUpperCase();
  if (key === undefined) return undefined;
  const code = key.charCodeAt(0);
  return code >= 0x40 && code <= 0x5f ? code - 0x40 : undefined;
}

/** What the person asked for with the escape key: the key then `d`, `w`, `r`, `h` `j` `k` `l`, `c`. */
export type AttachCommand =
  | "detach"
  | "toggle-write"
  | "redraw"
  | "pan-left"
  | "pan-down"
  | "pan-up"
  | "pan-right"
  | "follow-cursor";

/**
 * Splits what the person's terminal sends into text for the pane and attach commands. The escape key starts a
 * command: then `d` detaches, `w` takes or releases write, `r` redraws, `h` `j` `k` `l` pan a view larger than the
 * terminal (left, down, up, right), `c` makes it follow the cursor again, the escape key again types it; any
 * other key after it is dropped (and reported, so the status line can show the keys).
 */
export class EscapeKeyReader {
  private pending = false;

  constructor(private readonly key: number) {}

  /** Text to type (possibly empty), and the commands, in order, of one chunk of input. */
  read(chunk: string): { text: string; commands: (AttachCommand | "unknown")[] } {
    let text = "";
    const commands: (AttachCommand | "unknown")[] = [];
    for (const char of chunk) {
      if (this.pending) {
        this.pending = false;
        if (char.charCodeAt(0) === this.key) text += char;
        else commands.push(COMMANDS[char] ?? "unknown");
      } else if (char.charCodeAt(0) === this.key) this.pending = true;
      else text += char;
    }
    return { text, commands };
  }
}

const COMMANDS: Readonly<Record<string, AttachCommand>> = {
  d: "detach",
  w: "toggle-write",
  r: "redraw",
  h: "pan-left",
  j: "pan-down",
  k: "pan-up",
  l: "pan-right",
  c: "follow-cursor",
};
