import { computeHa1 } from "@sipfleet/sip";
import { stringify } from "yaml";
import { domainNameProblem, userNameProblem } from "./names.js";

/**
 * A `users:` list item for `user` in `domain`, with the HA1s the config stores instead of the
 * password: H(user:realm:password), realm = the domain name (RFC 7616 §3.4.2), MD5 for
 * RFC 3261 §22 clients and SHA-256 for RFC 8760 ones. The hex is quoted so that editing it can
 * never turn it into a YAML number. Throws RangeError for a name the config would refuse.
 */
export function formatUserEntry(user: string, domain: string, password: string): string {
  const problem =
    prefixed("user", userNameProblem(user)) ??
    prefixed("domain", domainNameProblem(domain)) ??
    (password === "" ? "password: must not be empty" : undefined);
  if (problem !== undefined) throw new RangeError(problem);
  const md5 = computeHa1(user, domain, password, "MD5");
  const sha256 = computeHa1(user, domain, password, "SHA-256");
  return [
    `# ${user}@${domain}: paste under the users: of domain ${domain}`,
    `- name: ${stringify(user).trimEnd()}`,
    "  ha1:",
    `    md5: "${md5}"`,
    `    sha256: "${sha256}"`,
    "",
  ].join("\n");
}

function prefixed(what: string, problem: string | undefined): string | undefined {
  return problem === undefined ? undefined : `${what}: ${problem}`;
}
