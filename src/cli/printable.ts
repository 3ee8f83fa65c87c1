/**
 * Text from a repository or the file system, made safe to print on a terminal line: control
 * characters (C0, DEL, C1), line and paragraph separators, format characters (bidirectional
 * overrides, zero-width marks), private-use and unassigned code points are written as escapes
 * (`\n`, `\x1b`, `\u{202e}`), and a backslash as `\\`, so the escaping is unambiguous and a VM
 * name cannot forge output lines or hide text. JSON output needs none of this (JSON.stringify).
 */
const UNSAFE = /[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}]/gu;
/** The same without the backslash: for messages, where Windows guest paths keep their separators. */
const UNSAFE_IN_MESSAGES = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}]/gu;

const SHORT: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function printable(text: string, opts: { keepBackslashes?: boolean } = {}): string {
  return text.replace(opts.keepBackslashes ? UNSAFE_IN_MESSAGES : UNSAFE, (c) => {
    const short = SHORT[c];
    if (short) return short;
    const cp = c.codePointAt(0)!;
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
}
