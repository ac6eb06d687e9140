import { createSecureContext, type ConnectionOptions, type TlsOptions } from "node:tls";
import { DEFAULT_TLS_MIN_VERSION, type EdgeTlsConfig } from "@sipfleet/config";

/**
 * The node:tls server options of the `tls` and `wss` listeners, from `edge.tls` (whose files the
 * config package has already read and checked, the key against the certificate included). With
 * `caFile` the edge asks clients for a certificate; `requireClientCert` refuses those without one
 * the CAs vouch for (mutual TLS, e.g. for carrier trunks). Without `requireClientCert` an
 * unverified certificate is let in: nothing reads the client's identity yet.
 */
export function serverTlsOptions(tls: EdgeTlsConfig): TlsOptions {
  const { cert, key, ca } = tls.credentials;
  return {
    cert,
    key,
    ca,
    minVersion: tls.minVersion,
    requestCert: tls.caFile !== undefined,
    rejectUnauthorized: tls.requireClientCert,
  };
}

/**
 * The node:tls client options of the TLS connections the edge opens (RFC 5922: the
 * server's certificate is always verified). With `edge.tls.caFile` the server must be vouched
 * for by those CAs, else by Node's bundled root CAs. The edge's own certificate goes out when
 * the server asks for one (mutual TLS with a trunk; the certificate then needs clientAuth).
 * One SecureContext for every connection: given PEM, `tls.connect` would parse it into a new
 * context each time.
 */
export function clientTlsOptions(tls: EdgeTlsConfig | undefined): ConnectionOptions {
  if (tls === undefined) return { secureContext: createSecureContext({ minVersion: DEFAULT_TLS_MIN_VERSION }), rejectUnauthorized: true };
  const { cert, key, ca } = tls.credentials;
  return { secureContext: createSecureContext({ cert, key, ca, minVersion: tls.minVersion }), rejectUnauthorized: true };
}
