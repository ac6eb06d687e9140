import type { SipMessageLogConfig } from "@sipfleet/config";
import { parseMessage, redactCredentials, SipUri, type SipRequest, type SipResponse, type Uri } from "@sipfleet/sip";
import {
  ATTR_SIP_CALL_ID,
  ATTR_SIP_METHOD,
  ATTR_SIP_STATUS_CODE,
  ATTR_SIP_TRANSPORT,
} from "@sipfleet/telemetry";
import type { Transport } from "./flow.js";
import { transportName } from "./hop.js";
import { hostPort } from "./ip-address.js";
import { safeCallId, type EdgeLogger } from "./logger.js";

/** The log line's message; its fields are documented in the README ("SIP message log"). */
export const SIP_MESSAGE_LOG_LINE = "sip message";

/** The text of a logged message, credentials redacted. Not a semconv span attribute: log lines only. */
export const FIELD_SIP_MESSAGE = "sip.message";

/**
 * The SIP message log (`logging.sipMessages`): each message received or sent whose From, To or
 * Request-URI is in a listed domain, or whose From or To is a listed user@domain, as one info
 * line with its text, credentials redacted (@sipfleet/sip redactCredentials).
 *
 * Off is free: `create` returns undefined when nothing is listed, and the hooks in the receive
 * and send paths are `messageLog?.…` calls that then do nothing. On, a received message is
 * matched with the parse the intake already did; a sent one is parsed from its bytes, because
 * the links below the transactions only see bytes. That parse is the cost of switching it on,
 * which is for debugging.
 *
 * Every SIP write of the edge goes through a link (a UDP socket or a connection), so hooking the
 * links logs all of them: transaction sends and retransmissions, stateless rejections, messages
 * another edge relays for a flow this one owns. Nothing here throws into those paths.
 */
export class SipMessageLog {
  private constructor(
    private readonly domains: ReadonlySet<string>,
    private readonly users: ReadonlySet<string>,
    private readonly logger: EdgeLogger,
  ) {}

  /** The log for `config`; undefined (no work at all) when it lists nothing or the logger has no info level. */
  static create(config: SipMessageLogConfig | undefined, logger: EdgeLogger): SipMessageLog | undefined {
    if (config === undefined || (config.domains.length === 0 && config.users.length === 0)) return undefined;
    if (logger.info === undefined) return undefined;
    // Said once, loudly: the log holds who called whom, which should not stay on unnoticed.
    logger.warn({ domains: config.domains, users: config.users }, "SIP message logging on (logging.sipMessages): for debugging only");
    return new SipMessageLog(new Set(config.domains), new Set(config.users), logger);
  }

  /** A message the intake parsed, before anything else is done with it. */
  received(msg: SipRequest | SipResponse, transport: Transport, ip: string, port: number): void {
    try {
      if (this.matches(msg)) this.log("in", msg, msg.bytes, transport, ip, port);
    } catch (err) {
      this.logger.debug?.({ err }, "sip message log failed");
    }
  }

  /** Bytes a link is about to write to `ip:port`. */
  sent(bytes: Buffer, transport: Transport, ip: string, port: number): void {
    try {
      let msg;
      try {
        msg = parseMessage(bytes);
      } catch {
        return; // the edge only writes what it built or relays; what does not parse is not matched
      }
      if (this.matches(msg)) this.log("out", msg, bytes, transport, ip, port);
    } catch (err) {
      this.logger.debug?.({ err }, "sip message log failed");
    }
  }

  private matches(msg: SipRequest | SipResponse): boolean {
    if (msg.isRequest && this.uriMatches(tryUri(() => msg.uri), false)) return true;
    return this.uriMatches(tryUri(() => msg.from.uri), true) || this.uriMatches(tryUri(() => msg.to.uri), true);
  }

  /** Host in `domains`, or (From, To) user@host in `users`. Hosts compare case-insensitively, users exactly (RFC 3261 §19.1.4). */
  private uriMatches(uri: Uri | undefined, aor: boolean): boolean {
    if (!(uri instanceof SipUri)) return false;
    const host = uri.host.toLowerCase();
    if (this.domains.has(host)) return true;
    return aor && uri.user !== undefined && this.users.has(`${uri.user}@${host}`);
  }

  private log(direction: "in" | "out", msg: SipRequest | SipResponse, bytes: Buffer, transport: Transport, ip: string, port: number): void {
    this.logger.info?.(
      {
        direction,
        [ATTR_SIP_TRANSPORT]: transportName(transport),
        peer: hostPort(ip, port),
        ...(msg.isRequest ? { [ATTR_SIP_METHOD]: msg.method } : { [ATTR_SIP_STATUS_CODE]: msg.status }),
        [ATTR_SIP_CALL_ID]: safeCallId(msg),
        [FIELD_SIP_MESSAGE]: redactCredentials(bytes),
      },
      SIP_MESSAGE_LOG_LINE,
    );
  }
}

/** A header that does not parse matches nothing (the message is logged, or not, by its other headers). */
function tryUri(read: () => Uri): Uri | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
