// A bare UDP SIP client for tests that need exact control (CSeq races, counting answers).
import { createSocket, type Socket } from "node:dgram";

export class UdpSipClient {
  private readonly sock: Socket;
  private readonly waiting = new Map<string, (text: string) => void>();

  private constructor(sock: Socket) {
    this.sock = sock;
    sock.on("message", (m) => {
      const text = m.toString("latin1");
      const branch = /branch=([^;\r\n,]+)/.exec(text)?.[1];
      const resolve = branch === undefined ? undefined : this.waiting.get(branch);
      if (resolve !== undefined && !/^SIP\/2\.0 1\d\d /.test(text)) {
        this.waiting.delete(branch as string);
        resolve(text);
      }
    });
  }

  static async open(): Promise<UdpSipClient> {
    const sock = createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
    return new UdpSipClient(sock);
  }

  get port(): number {
    return this.sock.address().port;
  }

  /** Sends `lines` (with `{branch}` and `{port}` filled in) and resolves with the final response. */
  request(port: number, lines: readonly string[], timeoutMs = 5_000): Promise<string> {
    const branch = `z9hG4bK-${Math.random().toString(36).slice(2)}`;
    const text = lines.map((l) => l.replaceAll("{branch}", branch).replaceAll("{port}", String(this.port))).join("\r\n");
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(branch);
        reject(new Error(`no final response in ${timeoutMs} ms to:\n${text}`));
      }, timeoutMs);
      this.waiting.set(branch, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
      this.sock.send(text, port, "127.0.0.1");
    });
  }

  close(): void {
    this.sock.close();
  }
}

/** A REGISTER for the open domain; `{branch}` and `{port}` are filled by UdpSipClient. */
export function openRegister(user: string, domain: string, callId: string, cseq: number, contactPort: number, expires: number): string[] {
  return [
    `REGISTER sip:${domain} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport`,
    `Max-Forwards: 70`,
    `From: <sip:${user}@${domain}>;tag=t${cseq}`,
    `To: <sip:${user}@${domain}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${user}@127.0.0.1:${contactPort}>;expires=${expires}`,
    `Content-Length: 0`,
    ``,
    ``,
  ];
}

export function statusOf(response: string): number {
  return Number(/^SIP\/2\.0 (\d{3}) /.exec(response)?.[1] ?? NaN);
}
