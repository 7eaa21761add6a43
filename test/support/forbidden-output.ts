/** Noncharacters U+xFFFE/U+xFFFF of every plane, as regex class members. */
const NONCHARACTERS = Array.from(
  { length: 17 },
  (_, p) => `\\u{${(p * 0x10000 + 0xfffe).toString(16)}}\\u{${(p * 0x10000 + 0xffff).toString(16)}}`,
).join("");

/**
 * The test oracle for sanitized output: every character the agent may never see on its own. ZWJ and VS15/VS16
 * are excluded here because they are allowed in context (emoji sequences); tests check them separately.
 */
export const FORBIDDEN_IN_OUTPUT = new RegExp(
  String.raw`[[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Cs}\p{Zl}\p{Zp}\u2800\uFDD0-\uFDEF${NONCHARACTERS}]--[\n\u200D\uFE0E\uFE0F]]`,
  "v",
);
