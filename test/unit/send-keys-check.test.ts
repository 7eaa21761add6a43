import { describe, expect, it } from "vitest";
import { CcmuxError, type CcmuxErrorCode } from "../../src/errors.js";
import {
  planKeystrokes,
  type SendKeysOptions,
  type SendKeysRequest,
} from "../../src/validation/send-keys-check.js";

const raw: SendKeysOptions = { input: "raw", maxInputBytes: 4096 };
const keysOnly: SendKeysOptions = { input: "keys", maxInputBytes: 4096 };
const none: SendKeysOptions = { input: "none", maxInputBytes: 4096 };

function refusal(request: SendKeysRequest, options: SendKeysOptions): CcmuxError {
  try {
    planKeystrokes(request, options);
  } catch (error) {
    if (error instanceof CcmuxError) return error;
    throw error;
  }
  throw new Error("expected the request to be refused");
}

function expectCode(request: SendKeysRequest, options: SendKeysOptions, code: CcmuxErrorCode): CcmuxError {
  const error = refusal(request, options);
  expect(error.code).toBe(code);
  return error;
}

describe("send_keys planning", () => {
  it("text is typed literally: text 'Enter' types E-n-t-e-r, not a newline", () => {
    expect(planKeystrokes({ text: "Enter" }, raw)).toMatchObject({ bytes: "Enter", byteLength: 5 });
  });

  it("sends text, then keys in order, then Enter for submit", () => {
    const plan = planKeystrokes({ text: "ls", keys: ["Left", "C-a", "Right"], submit: true }, raw);
    expect(plan.bytes).toBe("ls\x1b[D\x01\x1b[C\r");
  });

  it("submit alone is one Enter", () => {
    expect(planKeystrokes({ submit: true }, keysOnly)).toMatchObject({ bytes: "\r", byteLength: 1 });
  });

  it("counts UTF-8 bytes, not UTF-16 units", () => {
    expect(planKeystrokes({ text: "é🙂" }, raw)).toMatchObject({ bytes: "é🙂", byteLength: 6 });
  });

  it("text goes out in one write, then each key and submit's Enter in its own", () => {
    const plan = planKeystrokes({ text: "ls", keys: ["Left", "C-a"], submit: true }, raw);
    expect(plan.strokes.map((s) => s.bytes)).toEqual(["ls", "\x1b[D", "\x01", "\r"]);
  });

  it("Escape then Enter are two keystrokes, and the program must read the Escape first", () => {
    const plan = planKeystrokes({ keys: ["Escape", "Enter"] }, raw);
    expect(plan.strokes).toEqual([
      { bytes: "\x1b", settle: true },
      { bytes: "\r", settle: false },
    ]);
  });

  it.each([
    ["C-[", true],
    ["M-Escape", true],
    ["M-[", true],
    ["M-O", true],
    ["M-x", false],
    ["C-Left", false],
    ["F1", false],
    ["M-F5", false],
    ["Up", false],
  ])("%s settles before the next key: %s", (key, settle) => {
    expect(planKeystrokes({ keys: [key] }, raw).strokes[0]?.settle).toBe(settle);
  });

  it("raw text that ends in ESC or an unfinished CSI settles too", () => {
    expect(planKeystrokes({ text: "abc\x1b", submit: true }, raw).strokes[0]?.settle).toBe(true);
    expect(planKeystrokes({ text: "\x1b[1;", submit: true }, raw).strokes[0]?.settle).toBe(true);
    expect(planKeystrokes({ text: "\x1b[A", submit: true }, raw).strokes[0]?.settle).toBe(false);
  });

  it("cursor keys follow the pane's application cursor mode", () => {
    const plan = planKeystrokes({ keys: ["Up", "Home"] }, { ...keysOnly, applicationCursor: true });
    expect(plan.bytes).toBe("\x1bOA\x1bOH");
  });

  it("raw text may carry control characters: a person at the keyboard can type C-c and ESC too", () => {
    expect(planKeystrokes({ text: "sleep 9\x03\x1b[A" }, raw).bytes).toBe("sleep 9\x03\x1b[A");
  });
});

describe("input modes cannot be widened by the agent", () => {
  it("input none refuses text, keys and submit alike", () => {
    for (const request of [{ text: "x" }, { keys: ["Enter"] }, { submit: true }]) {
      const error = expectCode(request, none, "INPUT_NOT_ALLOWED");
      expect(error.message).toContain('"none"');
    }
  });

  it("input keys refuses text, even text that looks like a key name", () => {
    const error = expectCode({ text: "Enter" }, keysOnly, "INPUT_NOT_ALLOWED");
    expect(error.message).toContain('"keys"');
    expectCode({ text: "rm -rf ~", submit: true }, keysOnly, "INPUT_NOT_ALLOWED");
  });

  it("input keys allows named keys and submit", () => {
    expect(planKeystrokes({ keys: ["C-c", "Up"], submit: true }, keysOnly).bytes).toBe("\x03\x1b[A\r");
  });

  it("input keys cannot smuggle text through key names", () => {
    expectCode({ keys: ["rm -rf ~"] }, keysOnly, "UNKNOWN_KEY");
    expectCode({ keys: ["\r"] }, keysOnly, "UNKNOWN_KEY");
    expectCode({ keys: ["x"] }, keysOnly, "UNKNOWN_KEY");
  });

  it("input keys refuses M- on a character: ESC x types x into vi or after C-v", () => {
    for (const key of ["M-x", "M-:", "M-!", "m-Q", "M--"]) {
      const error = expectCode({ keys: [key] }, keysOnly, "INPUT_NOT_ALLOWED");
      expect(error.message).toContain('"keys"');
    }
    expect(planKeystrokes({ keys: ["M-x"] }, raw).bytes).toBe("\x1bx");
  });

  it("input keys allows the new control keys and modified keys: C-], C-@, M-Enter, C-M-x, C-Left, S-Up, M-F5", () => {
    const plan = planKeystrokes(
      { keys: ["C-]", "C-@", "M-Enter", "C-M-x", "C-Left", "S-Up", "M-F5"] },
      keysOnly,
    );
    expect(plan.bytes).toBe("\x1d\0\x1b\r\x1b\x18\x1b[1;5D\x1b[1;2A\x1b[15;3~");
  });
});

describe("malformed requests", () => {
  it("nothing to send is an invalid argument", () => {
    expectCode({}, raw, "INVALID_ARGUMENT");
    expectCode({ text: "", keys: [], submit: false }, raw, "INVALID_ARGUMENT");
  });

  it("NUL in text is refused", () => {
    expectCode({ text: "a\0b" }, raw, "INVALID_ARGUMENT");
  });

  it("a lone surrogate in text is refused rather than silently turned into U+FFFD", () => {
    expectCode({ text: "a\ud800b" }, raw, "INVALID_ARGUMENT");
  });

  it("an unknown key refuses the whole call; nothing is half-sent", () => {
    expectCode({ text: "ls", keys: ["Enter", "Ennter"] }, raw, "UNKNOWN_KEY");
  });
});

describe("input flooding is bounded by maxInputBytes", () => {
  const small: SendKeysOptions = { input: "raw", maxInputBytes: 8 };

  it("exactly the limit is accepted", () => {
    expect(planKeystrokes({ text: "1234567", submit: true }, small).byteLength).toBe(8);
  });

  it("one byte over the limit, counting keys and submit, is refused", () => {
    const error = expectCode({ text: "1234567", keys: ["Tab"], submit: true }, small, "LIMIT_EXCEEDED");
    expect(error.message).toContain("9 bytes");
    expect(error.message).toContain("8");
  });

  it("multi-byte characters count by UTF-8 length", () => {
    expectCode({ text: "ééééé" }, small, "LIMIT_EXCEEDED");
  });

  it("a huge keys array is refused before any key is looked up", () => {
    expectCode({ keys: Array.from({ length: 100_000 }, () => "Nope") }, small, "LIMIT_EXCEEDED");
  });

  it("huge text is refused without scanning it", () => {
    expectCode({ text: "x".repeat(1_000_000) }, raw, "LIMIT_EXCEEDED");
  });
});

describe("send_keys to a validated shell at its prompt (issue 14)", () => {
  const prompt: SendKeysOptions = { input: "prompt", maxInputBytes: 4096 };

  it("sends C-c, C-d, C-z and C-\\ only", () => {
    const plan = planKeystrokes({ keys: ["C-c", "C-d", "C-z", "C-\\"] }, prompt);
    expect(plan.bytes).toBe("\u0003\u0004\u001a\u001c");
    expect(plan.strokes).toHaveLength(4);
  });

  it.each([
    [{ text: "rm -rf ~" }],
    [{ text: "x", submit: true }],
    [{ submit: true }],
    [{ keys: ["Enter"] }],
    [{ keys: ["Up"] }],
    [{ keys: ["C-p"] }],
    [{ keys: ["C-r"] }],
    [{ keys: ["C-x"] }],
    [{ keys: ["Tab"] }],
    [{ keys: ["M-."] }],
    [{ keys: ["C-c", "Enter"] }],
  ] as SendKeysRequest[][])("refuses a key that could start, edit or recall a line: %j", (request) => {
    expectCode(request, prompt, "INPUT_NOT_ALLOWED");
  });

  it('"validated" alone is taken as the prompt (never as raw)', () => {
    expectCode({ text: "echo hi" }, { input: "validated", maxInputBytes: 4096 }, "INPUT_NOT_ALLOWED");
  });
});
