/** One problem found in the configuration: where it is and what is wrong with it. */
export interface ConfigIssue {
  /** The file the value came from, or the environment variable that supplied it. */
  readonly source: string;
  /** Key path inside the source, e.g. `domains[0].users[2].ha1.md5`; empty for a whole variable. */
  readonly path: string;
  /** Why the value is refused, ending with what was found where that helps (never a secret). */
  readonly message: string;
}

/** `source: path: message`, leaving out the empty parts. */
export function formatIssue(issue: ConfigIssue): string {
  return [issue.source, issue.path, issue.message].filter((part) => part !== "").join(": ");
}

/**
 * The configuration cannot be used. Every problem found in one pass is listed, one per line of
 * the message, so an operator fixes them all in one go; services let it end the process at
 * startup rather than run with a configuration they did not mean.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    super(issues.map(formatIssue).join("\n"), options);
    this.issues = Object.freeze([...issues]);
  }
}
