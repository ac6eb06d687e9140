// Test stand-ins for a carrier's side of a trunk on loopback UDP: a gateway that answers OPTIONS
// pings and queues INVITEs, and a registrar that may challenge. Shared by the gateway health,
// gateway DNS and carrier registration tests.
import { createSocket, type Socket } from "node:dgram";
import { computeHa1, createResponse, formatChallenge, parseMessage, verifyCredentials, type SipRequest } from "@sipfleet/sip";
import { Inbox, UdpPeer } from "./harness.js";

/** A carrier gateway on loopback UDP: answers OPTIONS with 200 while `answering`; INVITEs are queued for the test. */
export class FakeGateway {
  answering = true;
  /** OPTIONS datagrams received, retransmissions included. */
  options = 0;
  /** Distinct pings (Call-IDs) received, and those left unanswered. */
  readonly pings = new Set<string>();
  unanswered = 0;
  /** Call-IDs of every INVITE received (retransmissions included once). */
  readonly inviteCallIds = new Set<string>();
  readonly invites = new Inbox<{ req: SipRequest; from: { address: string; port: number } }>();
  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  static async open(): Promise<FakeGateway> {
    const socket = createSocket("udp4");
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
    const g = new FakeGateway(socket, socket.address().port);
    socket.on("message", (data, from) => g.onMessage(data, from));
    return g;
  }

  private onMessage(data: Buffer, from: { address: string; port: number }): void {
    const m = parseMessage(data);
    if (!m.isRequest) return;
    if (m.method === "OPTIONS") {
      this.options++;
      if (!this.pings.has(m.callId)) {
        this.pings.add(m.callId);
        if (!this.answering) this.unanswered++;
      }
      if (this.answering) this.reply(m, 200, from);
    } else if (m.method === "INVITE") {
      this.inviteCallIds.add(m.callId);
      this.invites.push({ req: m, from });
    }
  }

  /** A final response to a request, back where it came from (the Via has rport). */
  reply(req: SipRequest, status: number, to: { address: string; port: number }): void {
    this.socket.send(createResponse(req, status, { toTag: `gw${this.port}` }).bytes, to.port, to.address);
  }

  uri(): string {
    return `sip:+15550100@127.0.0.1:${this.port};transport=udp`;
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/** The account a challenging registrar checks answers against. */
export interface RegistrarAccount {
  readonly realm: string;
  readonly username: string;
  readonly password: string;
}

/**
 * A carrier's registrar on loopback UDP. With an account it challenges every REGISTER without
 * credentials (401, qop=auth, MD5) and checks answers with the SIP library's verifier (a wrong
 * one gets 403), so a test fails if the edge's credentials are wrong; without one it answers
 * every REGISTER 200. A 200 echoes the Contact with the Expires asked for.
 */
export class FakeRegistrar {
  readonly registers: SipRequest[] = [];
  /** Whether each answer to a challenge verified. */
  readonly verified: boolean[] = [];
  private nonce = 0;
  private closed = false;
  private constructor(
    readonly peer: UdpPeer,
    private readonly account: RegistrarAccount | undefined,
  ) {}

  static async open(account?: RegistrarAccount): Promise<FakeRegistrar> {
    const r = new FakeRegistrar(await UdpPeer.open(), account);
    void r.serve();
    return r;
  }

  private async serve(): Promise<void> {
    while (!this.closed) {
      let d;
      try {
        d = await this.peer.inbox.next(200, "REGISTER");
      } catch {
        continue;
      }
      const req = parseMessage(d.data) as SipRequest;
      if (req.method !== "REGISTER") continue;
      this.registers.push(req);
      const to = { transport: "udp" as const, host: d.from.address, port: d.from.port };
      if (this.account !== undefined) {
        const { realm, username, password } = this.account;
        const auth = req.authorization[0];
        if (auth === undefined) {
          const challenge = formatChallenge({ realm, nonce: `n${++this.nonce}`, qop: ["auth"], algorithm: "MD5" });
          this.peer.send(createResponse(req, 401, { headers: [["WWW-Authenticate", challenge]] }).bytes, to);
          continue;
        }
        const v = verifyCredentials({ credentials: auth, method: "REGISTER", realm, ha1: { MD5: computeHa1(username, realm, password, "MD5") }, requestUri: req.uriText });
        this.verified.push(v.ok);
        if (!v.ok) {
          this.peer.send(createResponse(req, 403).bytes, to);
          continue;
        }
      }
      const contact = req.contact[0];
      this.peer.send(createResponse(req, 200, { headers: [["Contact", `<${contact?.uri.toString() ?? ""}>;expires=${req.expires ?? 3600}`]] }).bytes, to);
    }
  }

  close(): Promise<void> {
    this.closed = true;
    return this.peer.close();
  }
}
