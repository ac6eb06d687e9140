import type { NonceUse } from "@sipfleet/bindings";
import type { AuthConfig, DomainConfig } from "@sipfleet/config";
import {
  buildChallenges,
  checkNonce,
  createNonce,
  DEFAULT_NONCE_SKEW_MS,
  type Credentials,
  type SipRequest,
  type StoredHa1,
  verifyCredentials,
} from "@sipfleet/sip";

/*
 * RFC 3261 §22 digest against the configured users, for both sides that challenge: a registrar
 * (or any UAS) answers 401 with WWW-Authenticate and reads Authorization (§22.2); a proxy answers
 * 407 with Proxy-Authenticate and reads Proxy-Authorization (§22.3). Nonces are RFC 7616 nonces
 * any replica can verify (an HMAC of the shared secret and the issue time, see @sipfleet/sip
 * nonce.ts), and RFC 8760 algorithms are offered strongest first. Replay (the nonce count) needs
 * shared state: it is returned as a NonceUse for the caller to check.
 *
 * A wrong password and an unknown user get the same answer after the same work, so that the
 * answers tell an attacker nothing about which users exist.
 */

/** Which status and header fields a challenge and its answer use. */
export interface DigestExchange {
  readonly status: 401 | 407;
  readonly challengeHeader: "WWW-Authenticate" | "Proxy-Authenticate";
  readonly credentialsHeader: "Authorization" | "Proxy-Authorization";
}

/** RFC 3261 §22.2: a registrar or other UAS. */
export const WWW_DIGEST: DigestExchange = Object.freeze({
  status: 401,
  challengeHeader: "WWW-Authenticate",
  credentialsHeader: "Authorization",
});

/** RFC 3261 §22.3: a proxy. */
export const PROXY_DIGEST: DigestExchange = Object.freeze({
  status: 407,
  challengeHeader: "Proxy-Authenticate",
  credentialsHeader: "Proxy-Authorization",
});

/** A response for the edge to build from the request: status, reason, extra header fields. */
export interface AuthReply {
  readonly status: number;
  /** Omitted: the standard reason phrase. */
  readonly reason?: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /**
   * The request carried credentials for the realm and they failed (wrong password, unknown user):
   * what the edge counts toward banning a source that guesses (`Respond.credentials_failed`).
   */
  readonly credentialsFailed?: boolean;
}

export type AuthOutcome =
  | { readonly ok: true; readonly username: string; readonly nonceUse: NonceUse | undefined }
  /** `why`: for the log, never for the UA (it would tell a missing user from a wrong password). */
  | { readonly ok: false; readonly reply: AuthReply; readonly why?: string };

/** Who may answer a challenge: the name and its stored HA1 (a domain's user, a trunk's carrier account). */
export interface DigestAccount {
  readonly name: string;
  readonly ha1: StoredHa1;
}

/** Verifies unknown users against this, so that they cost what a known user costs. */
const DECOY_HA1: StoredHa1 = {
  MD5: "00000000000000000000000000000000",
  "SHA-256": "0000000000000000000000000000000000000000000000000000000000000000",
};

export class DigestAuthenticator {
  private readonly malformed: AuthReply;
  /** Credentials that failed: the same 403 for a wrong password and an unknown user. */
  private readonly failed: AuthReply = { status: 403, reason: "Forbidden", headers: [], credentialsFailed: true };

  constructor(
    private readonly auth: AuthConfig,
    readonly exchange: DigestExchange = WWW_DIGEST,
  ) {
    this.malformed = reply(400, `Malformed ${exchange.credentialsHeader}`);
  }

  /** 401/407 with one challenge per configured algorithm (RFC 8760 §2.3), a fresh nonce. */
  challenge(realm: string, nowMs: number, stale = false): AuthReply {
    const nonce = createNonce(this.auth.nonceSecret, nowMs);
    const values = buildChallenges({ realm, nonce, qop: "auth", stale }, this.auth.algorithms);
    return reply(this.exchange.status, undefined, values.map((v) => [this.exchange.challengeHeader, v] as const));
  }

  /** The request's credentials for `domain`'s realm checked against its users. Never throws for bad input. */
  authenticate(req: SipRequest, domain: DomainConfig, nowMs: number): AuthOutcome {
    return this.authenticateIn(req, domain.name, (name) => domain.users.get(name), nowMs);
  }

  /**
   * The request's credentials for `realm` checked against the accounts `accountOf` knows (a
   * served domain's users, or a trunk's one carrier account). Never throws for bad input.
   */
  authenticateIn(req: SipRequest, realm: string, accountOf: (username: string) => DigestAccount | undefined, nowMs: number): AuthOutcome {
    let credentials: Credentials | undefined;
    try {
      // RFC 3261 §22.4: the UAC may send credentials for several realms (§22.3: one per proxy
      // that challenged); ours is the domain's.
      credentials = this.credentialsOf(req).find((c) => c.isDigest && c.realm === realm);
    } catch {
      return { ok: false, reply: this.malformed };
    }
    if (credentials === undefined) return { ok: false, reply: this.challenge(realm, nowMs) };

    const nonce = credentials.nonce ?? "";
    const nonceStatus = checkNonce(this.auth.nonceSecret, nonce, nowMs, this.auth.nonceLifetimeMs);
    // Not ours (forged, another secret, garbled): a fresh challenge, not stale (RFC 7616 §3.3).
    if (nonceStatus === "invalid") return { ok: false, reply: this.challenge(realm, nowMs) };

    const user = credentials.username === undefined || credentials.userhash ? undefined : accountOf(credentials.username);
    const verification = verifyCredentials({
      credentials,
      method: req.method,
      ha1: user?.ha1 ?? DECOY_HA1,
      realm,
      qop: ["auth"],
      algorithms: this.auth.algorithms,
      // The uri parameter is hashed (it must be what the UA hashed) but not compared with the
      // Request-URI: UAs put the server's address there as often as the domain (sipp does),
      // and Kamailio's auth module does not compare it either. Replaying the credentials for
      // another Request-URI is refused by the nonce count where the caller checks it.
    });
    if (!verification.ok) {
      switch (verification.reason) {
        case "malformed":
        case "missing-param":
        case "bad-nc":
          return { ok: false, reply: this.malformed };
        case "algorithm-not-offered":
        case "unsupported-algorithm":
        case "qop-not-offered":
          // The client answered something we did not ask for: ask again.
          return { ok: false, reply: this.challenge(realm, nowMs) };
        default:
          return { ok: false, reply: this.failed, why: `${verification.reason}: ${verification.detail}` };
      }
    }
    if (user === undefined) return { ok: false, reply: this.failed, why: "unknown user" };
    // RFC 7616 §3.3: stale=true only when the credentials were right for the old nonce, so the
    // UA retries with the new one without asking its user for a password.
    if (nonceStatus === "stale") return { ok: false, reply: this.challenge(realm, nowMs, true) };

    const nc = verification.nc;
    const nonceUse: NonceUse | undefined =
      nc === undefined ? undefined : { nonce, nc, ttlMs: this.auth.nonceLifetimeMs + DEFAULT_NONCE_SKEW_MS };
    return { ok: true, username: user.name, nonceUse };
  }

  private credentialsOf(req: SipRequest): Credentials[] {
    return this.exchange.status === 407 ? req.proxyAuthorization : req.authorization;
  }
}

/** An AuthReply (also what the registrar answers with; `reason` omitted: the standard phrase). */
export function reply(status: number, reason?: string, headers: ReadonlyArray<readonly [string, string]> = []): AuthReply {
  return reason === undefined ? { status, headers } : { status, reason, headers };
}
