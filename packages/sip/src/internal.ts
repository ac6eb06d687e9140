// Building blocks for other Sipfleet packages and tests; not a stable API.
export * from "./header/lexer.js";
export * from "./header/host.js";
export * from "./header/numbers.js";
export { fromWire, toWire } from "./message/wire-text.js";
export type { HeaderTable, ParsedParts } from "./message/message.js";
