import { ATTR, DEFAULT_COLOR, RGB_COLOR } from "../../panes/screen-frame.js";

/** A run's colours and attributes after validation: every value is one the SGR builder knows how to write. */
export interface RunStyle {
  fg: number;
  bg: number;
  attrs: number;
}

export const DEFAULT_STYLE: RunStyle = { fg: DEFAULT_COLOR, bg: DEFAULT_COLOR, attrs: 0 };

const ALL_ATTRS = Object.values(ATTR).reduce((all, bit) => all | bit, 0);

/** The SGR parameter of each attribute bit, in bit order. SGR 8 (conceal) is not among them. */
const ATTR_CODES: ReadonlyArray<[bit: number, code: number]> = [
  [ATTR.bold, 1],
  [ATTR.dim, 2],
  [ATTR.italic, 3],
  [ATTR.underline, 4],
  [ATTR.blink, 5],
  [ATTR.inverse, 7],
  [ATTR.strike, 9],
  [ATTR.overline, 53],
];

/**
 * A frame colour as the painter will use it: DEFAULT_COLOR, a palette index 0–255 or RGB_COLOR + 0xRRGGBB.
 * Security: a frame crosses the daemon socket as JSON, so anything else (NaN, fractions, huge or negative
 * numbers, strings) becomes the default colour rather than a number spliced into an escape sequence.
 */
export function frameColor(value: unknown): number {
  // Security: a forged number (NaN, 1e300, "1;8") spliced into an SGR sequence.
  if (typeof value !== "number" || !Number.isSafeInteger(value)) return DEFAULT_COLOR;
  if (value >= 0 && value <= 255) return value;
  if (value >= RGB_COLOR && value <= RGB_COLOR + 0xffffff) return value;
  return DEFAULT_COLOR;
}

/**
 * Attribute bits as the painter will use them: any set of ATTR bits; anything else (NaN, -1, 256) has none.
 */
export function frameAttrs(value: unknown): number {
  // Security: only ATTR bits map to SGR codes; conceal (8) has none, so text the agent reads is never hidden.
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > ALL_ATTRS) return 0;
  return value;
}

export function sameStyle(a: RunStyle, b: RunStyle): boolean {
  return a.fg === b.fg && a.bg === b.bg && a.attrs === b.attrs;
}

function colorParams(color: number, base: number, brightBase: number, extended: number): string[] {
  if (color === DEFAULT_COLOR) return [];
  if (color < 8) return [String(base + color)];
  if (color < 16) return [String(brightBase + color - 8)];
  if (color < 256) return [String(extended), "5", String(color)];
  const rgb = color - RGB_COLOR;
  return [String(extended), "2", String((rgb >> 16) & 0xff), String((rgb >> 8) & 0xff), String(rgb & 0xff)];
}

/**
 * The SGR sequence that sets `style` from any previous state: `CSI 0;…m`, reset first, so a row never depends
 * on the style the terminal was left in.
 * Security: built only from SGR 0, the attribute codes above, 30–37/90–97, 40–47/100–107, 38;5;n, 48;5;n,
 * 38;2;r;g;b and 48;2;r;g;b; the style's numbers were validated by frameColor and frameAttrs.
 */
export function sgr(style: RunStyle): string {
  // Security: every parameter comes from this fixed table or a re-validated colour, never from frame text.
  const params = ["0"];
  const attrs = frameAttrs(style.attrs);
  for (const [bit, code] of ATTR_CODES) if (attrs & bit) params.push(String(code));
  params.push(...colorParams(frameColor(style.fg), 30, 90, 38));
  params.push(...colorParams(frameColor(style.bg), 40, 100, 48));
  return `\x1b[${params.join(";")}m`;
}
