/** True when the bytes are only CR and LF: a keep-alive, not a message (RFC 5626 §3.5.1). */
export function isKeepAlive(data: Uint8Array): boolean {
  if (data.length === 0) return false;
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c !== 13 && c !== 10) return false;
  }
  return true;
}

/** RFC 5626 §4.4.1: the pong answering a CRLFCRLF ping on a connection. */
export const KEEP_ALIVE_PONG: Buffer = Buffer.from("\r\n", "latin1");
/** RFC 5626 §4.4.1: the ping a client sends on a connection-oriented flow. */
export const KEEP_ALIVE_PING: Buffer = Buffer.from("\r\n\r\n", "latin1");
