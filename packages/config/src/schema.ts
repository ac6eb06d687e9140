import { ConfigError, type ConfigIssue } from "./errors.js";

/*
 * The small schema helper the validator is written with: readers that check one value, record
 * what is wrong under its key path and carry on, so one run reports every problem in the file.
 * A reader returns undefined for a value it refused; callers skip checks that depend on it, so
 * one mistake is reported once rather than again by every rule that looks at it.
 *
 * A key written with no value (`registrar:`, `nonceSecret: ~`) is YAML null; it is treated as
 * absent, so commenting out every line under a section leaves the defaults.
 */

/** The environment the overrides are read from (process.env in services, a literal in tests). */
export type Env = Readonly<Record<string, string | undefined>>;

export class IssueList {
  readonly issues: ConfigIssue[] = [];

  constructor(readonly source: string) {}

  add(path: string, message: string, source: string = this.source): void {
    this.issues.push({ source, path, message });
  }

  get size(): number {
    return this.issues.length;
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new ConfigError(this.issues);
  }
}

/** `parent.key`, or `parent["odd key"]` for a key that would not read as one path segment. */
export function keyPath(parent: string, key: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** How a refused value is shown after "got": strings quoted, containers by kind. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

/** Absent in the YAML sense: missing, or a key with no value. */
export function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A mapping whose keys are all in `allowed`; each other key is reported as unknown (a typo
 * would otherwise silently leave the default in force). Absent → undefined, no issue.
 */
export function readMapping(
  issues: IssueList,
  value: unknown,
  path: string,
  allowed: readonly string[],
): Record<string, unknown> | undefined {
  if (isAbsent(value)) return undefined;
  if (!isMapping(value)) {
    issues.add(path, `expected a mapping with keys ${allowed.join(", ")}, got ${describeValue(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const guess = closestKey(key, allowed);
    const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
    issues.add(keyPath(path, key), `unknown key${hint}; allowed here: ${allowed.join(", ")}`);
  }
  return value;
}

/** A list. Absent → undefined, no issue. */
export function readList(issues: IssueList, value: unknown, path: string): readonly unknown[] | undefined {
  if (isAbsent(value)) return undefined;
  if (!Array.isArray(value)) {
    issues.add(path, `expected a list, got ${describeValue(value)}`);
    return undefined;
  }
  return value;
}

/** A non-empty string. Absent → undefined, no issue. */
export function readString(issues: IssueList, value: unknown, path: string): string | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value !== "string" || value === "") {
    issues.add(path, `expected a non-empty string, got ${describeValue(value)}`);
    return undefined;
  }
  return value;
}

export function readBoolean(issues: IssueList, value: unknown, path: string): boolean | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value !== "boolean") {
    issues.add(path, `must be true or false, got ${describeValue(value)}`);
    return undefined;
  }
  return value;
}

export function readEnum<T extends string>(
  issues: IssueList,
  value: unknown,
  path: string,
  allowed: readonly T[],
): T | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    issues.add(path, `must be ${allowed.map((a) => `"${a}"`).join(" or ")}, got ${describeValue(value)}`);
    return undefined;
  }
  return value as T;
}

export interface IntRule {
  readonly min: number;
  readonly max: number;
  /** Why the maximum is what it is; shown when it is exceeded. */
  readonly maxWhy?: string;
}

/**
 * A safe integer within the rule. Absent → undefined, no issue; the caller applies the
 * default. The lower bound is part of the type message (`must be an integer >= 1`), the upper
 * one gets its own, with its reason.
 */
export function readInt(issues: IssueList, value: unknown, path: string, rule: IntRule): number | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < rule.min) {
    issues.add(path, `must be an integer >= ${rule.min}, got ${describeValue(value)}`);
    return undefined;
  }
  if (value > rule.max) {
    const why = rule.maxWhy === undefined ? "" : ` (${rule.maxWhy})`;
    issues.add(path, `must be <= ${rule.max}${why}, got ${value}`);
    return undefined;
  }
  return value;
}

/**
 * Integer fields of one section, read from a table of rules and defaults. `values` holds the
 * default for absent keys and undefined for refused ones; `given` says which keys the file set,
 * so a cross-field message can say when the other side is a default.
 */
export interface IntSection<K extends string> {
  readonly values: { readonly [P in K]: number | undefined };
  readonly given: ReadonlySet<K>;
}

export function readIntSection<K extends string>(
  issues: IssueList,
  section: Record<string, unknown> | undefined,
  path: string,
  rules: { readonly [P in K]: IntRule },
  defaults: { readonly [P in K]: number },
): IntSection<K> {
  const values = {} as { [P in K]: number | undefined };
  const given = new Set<K>();
  for (const key of Object.keys(rules) as K[]) {
    const raw = section?.[key];
    if (isAbsent(raw)) {
      values[key] = defaults[key];
      continue;
    }
    given.add(key);
    values[key] = readInt(issues, raw, keyPath(path, key), rules[key]);
  }
  return { values, given };
}

/**
 * Requires section.low <= section.high. The key the file set is blamed (the other is shown
 * with its value, marked if it is the default); when both were set, the higher one is.
 */
export function checkOrder<K extends string>(
  issues: IssueList,
  section: IntSection<K>,
  path: string,
  low: K,
  high: K,
): void {
  const lowValue = section.values[low];
  const highValue = section.values[high];
  if (lowValue === undefined || highValue === undefined || lowValue <= highValue) return;
  const note = (key: K): string => (section.given.has(key) ? "" : ", the default");
  if (section.given.has(low) && !section.given.has(high)) {
    issues.add(
      keyPath(path, low),
      `must be <= ${keyPath(path, high)} (${highValue}${note(high)}), got ${lowValue}`,
    );
  } else {
    issues.add(
      keyPath(path, high),
      `must be >= ${keyPath(path, low)} (${lowValue}${note(low)}), got ${highValue}`,
    );
  }
}

/** The allowed key a typo most likely meant: same spelling ignoring case, or edit distance <= 2. */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
