import type { IMarker, Terminal } from "@xterm/headless";
import { hiddenCell } from "./row-text.js";

interface InternalLine {
  getTrimmedLength(): number;
  isWrapped: boolean;
}

interface InternalBuffer {
  readonly lines: { get(index: number): InternalLine | undefined };
  ybase: number;
  x: number;
  y: number;
  scrollTop: number;
  scrollBottom: number;
  /** A marker on row `y` of this buffer (Buffer.addMarker), whichever buffer is shown. */
  addMarker?(y: number): IMarker;
}

/**
 * The parts of @xterm/headless 6's internals ccmux reads or drives (src/common in xtermjs/xterm.js):
 * BufferService, CoreService's modes, CharsetService, and InputHandler's parser, UTF-8 decoder and current
 * attributes.
 */
export interface BufferInternals {
  service: {
    readonly buffer: InternalBuffer;
    readonly buffers: { readonly normal: InternalBuffer; readonly alt?: AlternateRows };
    scroll(eraseAttr: unknown, isWrapped?: boolean): void;
  };
  /** The attributes erased cells get (InputHandler._eraseAttrData). */
  eraseAttr(): unknown;
  core: {
    readonly coreService: {
      readonly modes: { insertMode: boolean };
      readonly decPrivateModes: { wraparound: boolean };
    };
    readonly _charsetService: { readonly charset: unknown };
  };
  input: {
    readonly _parser: { readonly currentState: number };
    readonly _utf8Decoder: { readonly interim: Uint8Array };
    readonly _curAttrData: { readonly fg: number; readonly bg: number; readonly extended: { urlId: number } };
  };
}

/** The internals of `term`, or undefined when this xterm version keeps them elsewhere (callers fall back). */
export function bufferInternals(term: Terminal): BufferInternals | undefined {
  const core = (
    term as unknown as {
      _core?: {
        _bufferService?: BufferInternals["service"];
        _inputHandler?: BufferInternals["input"] & { _eraseAttrData?: () => unknown };
      } & Partial<BufferInternals["core"]>;
    }
  )._core;
  const service = core?._bufferService;
  const handler = core?._inputHandler;
  const eraseAttrData = handler?._eraseAttrData;
  if (
    !core ||
    !service ||
    !handler ||
    typeof service.scroll !== "function" ||
    typeof eraseAttrData !== "function" ||
    typeof service.buffers?.normal?.scrollTop !== "number" ||
    typeof service.buffers.normal.lines?.get(0)?.getTrimmedLength !== "function" ||
    typeof core.coreService?.modes?.insertMode !== "boolean" ||
    typeof core.coreService.decPrivateModes?.wraparound !== "boolean" ||
    core._charsetService === undefined ||
    typeof handler._parser?.currentState !== "number" ||
    !(handler._utf8Decoder?.interim instanceof Uint8Array) ||
    typeof handler._curAttrData?.fg !== "number" ||
    typeof handler._curAttrData.extended?.urlId !== "number"
  ) {
    return undefined;
  }
  return {
    service,
    eraseAttr: () => eraseAttrData.call(handler),
    core: core as BufferInternals["core"],
    input: handler,
  };
}

/**
 * The prototype of xterm's internal BufferLine (src/common/buffer/BufferLine.ts), reached through `term`'s first
 * row, to patch what every terminal on this thread shares; undefined when this xterm keeps its rows elsewhere.
 */
export function bufferLinePrototype<T extends object>(term: Terminal): T | undefined {
  const core = (term as unknown as { _core?: { buffer?: { lines?: { get(i: number): unknown } } } })._core;
  const line = core?.buffer?.lines?.get(0);
  return typeof line === "object" && line !== null ? (Object.getPrototypeOf(line) as T) : undefined;
}

/** The parser's ground state (EscapeSequenceParser's ParserState.GROUND): no sequence is open. */
const GROUND = 0;

/**
 * Printable ASCII written now would only be drawn at the cursor, in the current attributes, the cursor moving
 * right (frame-echo.ts): not in insert mode, in the ASCII character set, with no escape sequence or UTF-8
 * character half-read, no hyperlink open, the cursor not waiting to wrap, and cells in those attributes visible
 * (not concealed, not drawn in their own background: those read as placeholders).
 */
export function printsAtCursorOnly(term: Terminal, internals: BufferInternals): boolean {
  const { coreService, _charsetService } = internals.core;
  if (coreService.modes.insertMode || _charsetService.charset !== undefined) return false;
  const { _parser, _utf8Decoder, _curAttrData } = internals.input;
  if (_parser.currentState !== GROUND || _utf8Decoder.interim[0] !== 0) return false;
  if (_curAttrData.extended.urlId !== 0 || hiddenCell(_curAttrData.fg, _curAttrData.bg)) return false;
  return internals.service.buffer.x < term.cols;
}

/**
 * Whether printable ASCII lines, each ended by CR LF, print on this terminal as rows of plain text that scroll
 * off the top of the normal screen in order: one cell per byte in the current attributes, a wrap at the last
 * column, a scroll of the whole screen per line feed.
 * - "no" while the terminal's modes say otherwise: the alternate screen, a scroll region (DECSTBM), autowrap off,
 *   insert mode, a character set that maps ASCII (DEC line drawing, UK), attributes that hide text (rowText
 *   would mark it) or an open hyperlink. Only an escape sequence changes these.
 * - "not yet" while the cursor is elsewhere than the first column of the bottom row, that row is not blank or
 *   continues the row above, or an escape sequence or UTF-8 character is half-read: a line or two of output
 *   can change that.
 * - "yes" otherwise.
 */
export function plainLinesScroll(term: Terminal, internals: BufferInternals): "yes" | "not yet" | "no" {
  const buffer = internals.service.buffer;
  if (buffer !== internals.service.buffers.normal) return "no";
  const rows = term.rows;
  if (buffer.scrollTop !== 0 || buffer.scrollBottom !== rows - 1) return "no";
  const { coreService, _charsetService } = internals.core;
  if (coreService.modes.insertMode || !coreService.decPrivateModes.wraparound) return "no";
  if (_charsetService.charset !== undefined) return "no";
  const { _parser, _utf8Decoder, _curAttrData } = internals.input;
  if (_curAttrData.extended.urlId !== 0 || hiddenCell(_curAttrData.fg, _curAttrData.bg)) return "no";
  if (_parser.currentState !== GROUND || _utf8Decoder.interim[0] !== 0) return "not yet";
  if (buffer.x !== 0 || buffer.y !== rows - 1) return "not yet";
  const bottom = buffer.lines.get(buffer.ybase + buffer.y);
  return bottom !== undefined && !bottom.isWrapped && bottom.getTrimmedLength() === 0 ? "yes" : "not yet";
}

/** The alternate buffer's rows as @xterm/headless 6 keeps them (Buffer, BufferLine in src/common/buffer). */
interface AlternateRows {
  readonly lines: {
    readonly length: number;
    get(index: number):
      | {
          readonly length: number;
          resize(cols: number, fill: unknown): boolean;
          getWidth(index: number): number;
          setCell(index: number, cell: unknown): void;
        }
      | undefined;
  };
  getNullCell(attr?: unknown): unknown;
}

/**
 * Cuts the alternate screen's rows to `cols` columns, after a resize to fewer. Why: xterm re-wraps only the normal
 * buffer, and the alternate buffer's rows kept their old length: reads, and the frame a person's terminal is drawn
 * from, gave rows wider than the pane (attack review: 38 characters a row on a 20-column pane), and widening again
 * showed cells the program never drew at that size. A wide character left on the last column loses its right
 * half: it is blanked, as a terminal cannot show half of it.
 */
export function cutAlternateRows(internals: BufferInternals, cols: number): void {
  const alternate = internals.service.buffers.alt;
  if (!alternate || typeof alternate.getNullCell !== "function") return;
  const blank = alternate.getNullCell();
  for (let index = 0; index < alternate.lines.length; index++) {
    const line = alternate.lines.get(index);
    if (!line || line.length <= cols || typeof line.resize !== "function") continue;
    line.resize(cols, blank);
    if (cols > 0 && line.getWidth(cols - 1) === 2) line.setCell(cols - 1, blank);
  }
}
