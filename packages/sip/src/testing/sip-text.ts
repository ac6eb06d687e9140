/**
 * Test helper: SIP message text written with "\n" line endings, turned into wire bytes with
 * CRLF. Lines are taken as written (no trimming), so tests can place spaces exactly.
 */
export function sip(text: string): Buffer {
  return Buffer.from(text.replace(/\r?\n/g, "\r\n"), "utf8");
}

/** Joins lines with CRLF and ends the header section; `body` is appended as-is. */
export function sipLines(lines: readonly string[], body = ""): Buffer {
  return Buffer.from(lines.join("\r\n") + "\r\n\r\n" + body, "utf8");
}
