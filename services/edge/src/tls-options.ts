import { createSecureContext, type TlsOptions } from "node:tls";
import type { EdgeTlsConfig } from "@sipfleet/config";
import { EdgeConfigError } from "./errors.js";

/**
 * The node:tls server options of the `tls` and `wss` listeners, from `edge.tls` (whose files the
 * config package has already read and checked). With `caFile` the edge asks clients for a
 * certificate; `requireClientCert` refuses those without one the CAs vouch for (mutual TLS,
 * e.g. for carrier trunks). Without `requireClientCert` an unverified certificate is let in:
 * nothing reads the client's identity yet.
 */
export function serverTlsOptions(tls: EdgeTlsConfig): TlsOptions {
  const { cert, key, ca } = tls.credentials;
  try {
    // Checked here so a hand-made EdgeTlsConfig fails at start, naming the files, not at the
    // listener. (A server builds its own context from cert/key/ca: it ignores `secureContext`.)
    createSecureContext({ cert, key, ca, minVersion: tls.minVersion });
  } catch (e) {
    throw new EdgeConfigError(`edge.tls: cannot use ${tls.certFile} with ${tls.keyFile}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return {
    cert,
    key,
    ca,
    minVersion: tls.minVersion,
    requestCert: tls.caFile !== undefined,
    rejectUnauthorized: tls.requireClientCert,
  };
}
