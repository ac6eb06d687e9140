import { type DialRule, e164PrefixProblem } from "@sipfleet/trunks";
import { IssueList, indexPath, isAbsent, keyPath, readList, readMapping, readString } from "./schema.js";

/*
 * The numbers side of a domain and its users: dialPlan (normalisation to E.164), and the
 * prefix lists destinationAllowed decides with (domain blockedPrefixes / allowedPrefixes, user
 * allowedDestinations).
 */

const RULE_KEYS = ["match", "replace"] as const;
const DIGITS = /^[0-9]{1,15}$/;
const REPLACE = /^\+[0-9]{0,15}$/;

/** `[{ match: "0", replace: "+49" }, ...]`; no `match` twice (the longest one applies, so order is moot). */
export function readDialPlan(issues: IssueList, value: unknown, path: string): readonly DialRule[] | undefined {
  const list = readList(issues, value, path);
  if (list === undefined) return undefined;
  const out: DialRule[] = [];
  const seen = new Map<string, string>();
  let ok = true;
  list.forEach((item, i) => {
    const rulePath = indexPath(path, i);
    const before = issues.size;
    const m = readMapping(issues, item, rulePath, RULE_KEYS);
    if (m === undefined) {
      if (isAbsent(item)) issues.add(rulePath, "expected a mapping with match and replace, got nothing");
      ok = false;
      return;
    }
    const match = readDigitsString(issues, m["match"], keyPath(rulePath, "match"));
    if (match !== undefined && !DIGITS.test(match)) {
      issues.add(keyPath(rulePath, "match"), `must be 1 to 15 digits (what is dialled before the rest), got ${JSON.stringify(match)}`);
    }
    const replace = readDigitsString(issues, m["replace"], keyPath(rulePath, "replace"));
    if (replace !== undefined && !REPLACE.test(replace)) {
      issues.add(keyPath(rulePath, "replace"), `must be "+" and up to 15 digits (the result is E.164), got ${JSON.stringify(replace)}`);
    }
    if (issues.size > before || match === undefined || replace === undefined) {
      ok = false;
      return;
    }
    const first = seen.get(match);
    if (first !== undefined) {
      issues.add(keyPath(rulePath, "match"), `duplicate of ${first}.match (${JSON.stringify(match)})`);
      ok = false;
      return;
    }
    seen.set(match, rulePath);
    out.push(Object.freeze({ match, replace }));
  });
  return ok ? Object.freeze(out) : undefined;
}

/** A list of E.164 prefixes (`+` alone covers every number), no repeats. */
export function readPrefixList(issues: IssueList, value: unknown, path: string): readonly string[] | undefined {
  const list = readList(issues, value, path);
  if (list === undefined) return undefined;
  const out: string[] = [];
  let ok = true;
  list.forEach((item, i) => {
    const itemPath = indexPath(path, i);
    const prefix = readDigitsString(issues, item, itemPath);
    if (prefix === undefined) {
      if (isAbsent(item)) issues.add(itemPath, "expected an E.164 prefix, got nothing");
      ok = false;
      return;
    }
    const problem = e164PrefixProblem(prefix);
    if (problem !== undefined) {
      issues.add(itemPath, problem);
      ok = false;
    } else if (out.includes(prefix)) {
      issues.add(itemPath, `${JSON.stringify(prefix)} is listed twice`);
      ok = false;
    } else {
      out.push(prefix);
    }
  });
  return ok ? Object.freeze(out) : undefined;
}

/**
 * A string of digits as written. YAML reads `match: 0` or `- +49` as a number (and drops the
 * `+` or a leading 0), so an unquoted number is refused with a hint rather than misread.
 */
export function readDigitsString(issues: IssueList, value: unknown, path: string): string | undefined {
  if (typeof value === "number") {
    issues.add(path, `YAML read a number (${value}), dropping any "+" or leading 0: quote the value as written`);
    return undefined;
  }
  return readString(issues, value, path);
}
