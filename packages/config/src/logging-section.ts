import type { LoggingConfig, SipMessageLogConfig } from "./config.js";
import { DEFAULT_LOGGING_CONFIG } from "./defaults.js";
import { domainNameProblem, userNameProblem } from "./names.js";
import { IssueList, indexPath, isAbsent, keyPath, readList, readMapping, readString } from "./schema.js";

/*
 * logging: what the services log beyond their own events. Only `sipMessages` for now: the edge's
 * per-domain / per-user SIP message log (services/edge README "SIP message log"), off unless
 * something is listed.
 */

const LOGGING_KEYS = ["sipMessages"] as const;
const SIP_MESSAGES_KEYS = ["domains", "users"] as const;

export function readLogging(issues: IssueList, value: unknown): LoggingConfig | undefined {
  const path = "logging";
  const m = readMapping(issues, value, path, LOGGING_KEYS);
  const sipMessages = readSipMessages(issues, m?.["sipMessages"], keyPath(path, "sipMessages"));
  if (sipMessages === undefined) return undefined;
  return Object.freeze({ sipMessages });
}

function readSipMessages(issues: IssueList, value: unknown, path: string): SipMessageLogConfig | undefined {
  const m = readMapping(issues, value, path, SIP_MESSAGES_KEYS);
  if (m === undefined) return isAbsent(value) ? DEFAULT_LOGGING_CONFIG.sipMessages : undefined;
  const domains = readNames(issues, m["domains"], keyPath(path, "domains"), domainProblem);
  const users = readNames(issues, m["users"], keyPath(path, "users"), aorProblem);
  if (domains === undefined || users === undefined) return undefined;
  return Object.freeze({ domains, users });
}

/** A list of unique strings, each checked by `problem`. Absent: empty. */
function readNames(
  issues: IssueList,
  value: unknown,
  path: string,
  problem: (name: string) => string | undefined,
): readonly string[] | undefined {
  const list = readList(issues, value, path);
  if (list === undefined) return isAbsent(value) ? Object.freeze([]) : undefined;
  const before = issues.size;
  const out: string[] = [];
  const seen = new Map<string, string>();
  list.forEach((item, i) => {
    const at = indexPath(path, i);
    const name = readString(issues, item, at);
    if (name === undefined) {
      if (isAbsent(item)) issues.add(at, "expected a non-empty string, got nothing");
      return;
    }
    const why = problem(name);
    if (why !== undefined) return issues.add(at, why);
    const first = seen.get(name);
    if (first !== undefined) return issues.add(at, `duplicate of ${first} (${JSON.stringify(name)})`);
    seen.set(name, at);
    out.push(name);
  });
  return issues.size > before ? undefined : Object.freeze(out);
}

function domainProblem(name: string): string | undefined {
  const why = domainNameProblem(name);
  return why === undefined ? undefined : `domain ${why}`;
}

/** `user@domain`: an address of record as the From and To of a message name it. */
function aorProblem(aor: string): string | undefined {
  const at = aor.lastIndexOf("@");
  if (at <= 0 || at === aor.length - 1) return `must be user@domain, got ${JSON.stringify(aor)}`;
  const user = userNameProblem(aor.slice(0, at));
  if (user !== undefined) return `user ${user}`;
  const domain = domainNameProblem(aor.slice(at + 1));
  return domain === undefined ? undefined : `domain ${domain}`;
}
