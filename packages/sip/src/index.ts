// Public surface of @sipfleet/sip. Internals (lexer, header table access) live in ./internal.
export { SipError, ParseError, MessageTooLargeError, TransactionError } from "./errors.js";

export { parseMessage, DEFAULT_PARSE_OPTIONS, type ParseOptions } from "./message/parse.js";
export { SipMessage, SipRequest, SipResponse, type AnyMessage, type MessageDefect } from "./message/message.js";
export { H, canonicalHeaderName, displayName, isListHeader } from "./message/header-names.js";
export { createResponse, createRequest, createAck, createCancel, type ResponseOptions, type RequestOptions, type HeaderList } from "./message/build.js";
export { reasonPhrase } from "./message/reason-phrases.js";
export { newBranch, newTag, newCallId, BRANCH_MAGIC_COOKIE } from "./message/ids.js";
export { ownText } from "./message/wire-text.js";
export { redactCredentials, REDACTED } from "./message/redact.js";

export { Via, parseVia } from "./header/via.js";
export { NameAddr, parseNameAddr, parseNameAddrList } from "./header/name-addr.js";
export { Params } from "./header/lexer.js";
export { parseCSeq, METHODS, type CSeq } from "./header/cseq.js";
export { parseContentType, type ContentType } from "./header/content-type.js";
export * from "./header/auth.js";

export * from "./uri/index.js";

export { MessageEditor, editMessage, serializeMessage } from "./serialize/message-editor.js";

export { frameDatagram, isStun, DEFAULT_DATAGRAM_OPTIONS, type DatagramFrame, type DatagramOptions } from "./framing/datagram.js";
export {
  StreamFramer,
  DEFAULT_STREAM_FRAMER_OPTIONS,
  type StreamFrameHandler,
  type StreamFramerOptions,
} from "./framing/stream-framer.js";
export { KEEP_ALIVE_PING, KEEP_ALIVE_PONG, isKeepAlive } from "./framing/keep-alive.js";

export { validateMessage, DEFAULT_VALIDATE_OPTIONS, type Validation, type ValidateOptions } from "./validate/validate-message.js";

export * from "./digest/index.js";
export * from "./transaction/index.js";
