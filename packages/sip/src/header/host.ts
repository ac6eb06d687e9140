/*
 * host = hostname / IPv4address / IPv6reference (RFC 3261 §25.1). These scanners find where a
 * host or port ends; they accept what the grammar allows and leave semantic checks to callers.
 */

const HOST_CHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  t[0x2d] = 1; // -
  t[0x2e] = 1; // .
  t[0x5f] = 1; // _ : not in the grammar, but seen in real deployments' host names
  return t;
})();

/** Index just past the host starting at `i`; `i` if there is none (or an unclosed IPv6 reference). */
export function scanHost(s: string, i: number, end: number): number {
  if (i < end && s.charCodeAt(i) === 91 /* [ */) {
    let j = i + 1;
    while (j < end) {
      const c = s.charCodeAt(j);
      if (c === 93 /* ] */) return j > i + 1 ? j + 1 : i;
      const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
      if (!hex && c !== 58 /* : */ && c !== 46 /* . */) return i;
      j++;
    }
    return i;
  }
  let j = i;
  while (j < end) {
    const c = s.charCodeAt(j);
    if (c > 255 || HOST_CHAR[c] !== 1) break;
    j++;
  }
  return j;
}

let portValue = 0;

/** The value of the port the last successful `scanPort` read. */
export function scannedPortValue(): number {
  return portValue;
}

/**
 * Index just past a port (1–5 digits, ≤ 65535) starting at `i`, or -1 if there is none.
 * The value is left in `scannedPortValue()`, so callers need not read the digits again.
 */
export function scanPort(s: string, i: number, end: number): number {
  let j = i;
  let v = 0;
  while (j < end) {
    const c = s.charCodeAt(j);
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
    j++;
  }
  if (j === i || j - i > 5 || v > 65535) return -1;
  portValue = v;
  return j;
}
