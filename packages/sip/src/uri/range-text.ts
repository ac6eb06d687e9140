/** `s[start, end)`, without a copy when the range is the whole string. */
export function rangeText(s: string, start: number, end: number): string {
  return start === 0 && end === s.length ? s : s.slice(start, end);
}
