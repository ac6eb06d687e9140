/**
 * RFC 3261 §20.17 Date: rfc1123-date, always in GMT — exactly what Date#toUTCString gives
 * ("Tue, 24 Nov 2026 12:00:00 GMT").
 */
export function sipDate(ms: number): string {
  return new Date(ms).toUTCString();
}
