/*
 * NATS subject rules, so the in-memory bus accepts and matches exactly what nats-server does:
 * tokens separated by ".", none empty, no whitespace; "*" as a whole token matches one token,
 * ">" as the last token matches one or more. "*" or ">" inside a token is a literal character.
 */

export function subjectTokens(subject: string): string[] {
  return subject.split(".");
}

/** One scan, no allocation: this runs on every request. Control characters and space are refused. */
export function isValidSubject(subject: string, allowWildcards: boolean): boolean {
  const n = subject.length;
  if (n === 0) return false;
  let tokenStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? DOT : subject.charCodeAt(i);
    if (c === DOT) {
      const len = i - tokenStart;
      if (len === 0) return false;
      if (len === 1) {
        const t = subject.charCodeAt(tokenStart);
        if (t === STAR && !allowWildcards) return false;
        if (t === GT && (!allowWildcards || i !== n)) return false;
      }
      tokenStart = i + 1;
    } else if (c <= 0x20 || c === 0x7f) {
      return false;
    }
  }
  return true;
}

const DOT = 0x2e;
const STAR = 0x2a;
const GT = 0x3e;

/** Does the literal subject (already split) match the pattern (already split)? */
export function subjectMatches(pattern: readonly string[], subject: readonly string[]): boolean {
  const n = pattern.length;
  for (let i = 0; i < n; i++) {
    const p = pattern[i] as string;
    if (p === ">") return subject.length > i;
    if (i >= subject.length) return false;
    if (p !== "*" && p !== subject[i]) return false;
  }
  return subject.length === n;
}

