/*
 * ITU-T E.164 §6: a number is at most 15 digits, country code first; country codes do not
 * start with 0. Written with a leading `+`, as RFC 3966 §5.1.4 global numbers are.
 */

const E164 = /^\+[1-9][0-9]{0,14}$/;
const PREFIX = /^\+(?:[1-9][0-9]{0,14})?$/;

export function isE164(value: string): boolean {
  return E164.test(value);
}

/** `+` alone, or `+` and the start of an E.164 number. */
function isE164Prefix(value: string): boolean {
  return PREFIX.test(value);
}

/** Why `value` is not an E.164 number, or undefined. */
export function e164Problem(value: string): string | undefined {
  if (isE164(value)) return undefined;
  return `must be an E.164 number: "+", then 1 to 15 digits, the first not 0, got ${JSON.stringify(value)}`;
}

/** Why `value` is not an E.164 prefix, or undefined. */
export function e164PrefixProblem(value: string): string | undefined {
  if (isE164Prefix(value)) return undefined;
  return `must be an E.164 prefix: "+", then up to 15 digits, the first not 0, got ${JSON.stringify(value)}`;
}
