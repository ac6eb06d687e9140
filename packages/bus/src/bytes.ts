/**
 * A copy the bus owns. Not `data.slice()`: when `data` is a Node Buffer, Buffer#slice is a view.
 */
export function copyBytes(data: Uint8Array): Uint8Array {
  return new Uint8Array(data);
}

/**
 * A plain Uint8Array view of received bytes (no copy). nats.js hands out Buffer views of the socket
 * chunk; consumers get the same type from both adapters, so `slice()` copies for them as expected.
 */
export function plainView(data: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(data) === Uint8Array.prototype ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
