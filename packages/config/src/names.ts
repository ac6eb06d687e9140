import { isIPv4 } from "node:net";

/*
 * What a configured domain or user name may look like. Both are checked by the config validator
 * and by the sipfleet-ha1 CLI, so a hash computed for a name the config would refuse is never
 * printed.
 */

/** RFC 3261 §25.1 hostname labels; the top label starts with a letter (so it is not an IPv4 address). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LABEL = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_DOMAIN_LENGTH = 253;

/**
 * Why `name` cannot be a served domain, or undefined if it can. It must be a host name or an
 * IPv4 address, in lower case: it is also the digest realm, and HA1 = H(user:realm:password)
 * hashes the realm byte for byte, so the spelling in the file has to be the one the hashes
 * were computed with.
 */
export function domainNameProblem(name: string): string | undefined {
  if (name !== name.toLowerCase()) {
    return `must be lower-case (it is the digest realm, which HA1 hashes exactly), got ${JSON.stringify(name)}`;
  }
  if (isIPv4(name)) return undefined;
  const labels = name.split(".");
  const top = labels[labels.length - 1] ?? "";
  const ok =
    name.length <= MAX_DOMAIN_LENGTH && labels.slice(0, -1).every((l) => LABEL.test(l)) && TOP_LABEL.test(top);
  if (!ok) return `must be a host name (RFC 3261 §25.1) or an IPv4 address, got ${JSON.stringify(name)}`;
  return undefined;
}

/*
 * RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ). Escapes are left out:
 * a configured name is then spelled the same escaped or not, so it matches the user part of a
 * request URI and the digest username without any decoding step.
 */
const USER = /^[A-Za-z0-9\-_.!~*'()&=+$,;?/]+$/;
const MAX_USER_LENGTH = 128;

/** Why `name` cannot be a user name, or undefined if it can. */
export function userNameProblem(name: string): string | undefined {
  if (name.length > MAX_USER_LENGTH) return `must be at most ${MAX_USER_LENGTH} characters, got ${name.length}`;
  if (!USER.test(name)) {
    return (
      "may contain only letters, digits and - _ . ! ~ * ' ( ) & = + $ , ; ? / " +
      `(the RFC 3261 §25.1 user characters that need no escaping), got ${JSON.stringify(name)}`
    );
  }
  return undefined;
}
