import { createSocket, type Socket } from "node:dgram";
import { isIPv4, isIPv6 } from "node:net";

/*
 * A DNS server on 127.0.0.1 answering from a fixed zone, over UDP (RFC 1035 §4). Tests point a
 * node:dns Resolver at it so that the platform's RFC 3263 lookups (NAPTR, SRV, A, AAAA) go through
 * the real resolver library and real DNS packets, not a fake of the lookup functions.
 */

export type DnsRecord =
  | { readonly name: string; readonly type: "A"; readonly address: string }
  | { readonly name: string; readonly type: "AAAA"; readonly address: string }
  | { readonly name: string; readonly type: "SRV"; readonly priority: number; readonly weight: number; readonly port: number; readonly target: string }
  | {
      readonly name: string;
      readonly type: "NAPTR";
      readonly order: number;
      readonly preference: number;
      readonly flags: string;
      readonly service: string;
      readonly regexp: string;
      readonly replacement: string;
    };

export interface DnsServer {
  readonly port: number;
  /** `127.0.0.1:port`, as node:dns Resolver.setServers takes it. */
  readonly address: string;
  /** Every question asked, `TYPE name`, in order; a test may empty it. */
  readonly questions: string[];
  /** Replaces the zone (records for a name that went away answer NXDOMAIN from now on). */
  setRecords(records: readonly DnsRecord[]): void;
  close(): Promise<void>;
}

const TYPE_CODES = { A: 1, AAAA: 28, SRV: 33, NAPTR: 35 } as const;
const CODE_NAMES = new Map<number, string>(Object.entries(TYPE_CODES).map(([k, v]) => [v, k]));
const CLASS_IN = 1;
const TTL_SECONDS = 30;

export async function startDnsServer(records: readonly DnsRecord[]): Promise<DnsServer> {
  let zone = records;
  const questions: string[] = [];
  const socket = createSocket("udp4");
  socket.on("message", (msg, from) => {
    const answer = answerQuery(msg, zone, questions);
    if (answer !== undefined) socket.send(answer, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  const port = socket.address().port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    questions,
    setRecords(next) {
      zone = next;
    },
    close: () => closeSocket(socket),
  };
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** The response to one query, or undefined for a packet that is not one we can answer. */
function answerQuery(msg: Buffer, zone: readonly DnsRecord[], questions: string[]): Buffer | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return undefined;
  let offset = 12;
  const labels: string[] = [];
  for (;;) {
    const len = msg[offset];
    if (len === undefined || len > 63) return undefined;
    offset += 1;
    if (len === 0) break;
    labels.push(msg.toString("latin1", offset, offset + len));
    offset += len;
  }
  if (offset + 4 > msg.length) return undefined;
  const qtype = msg.readUInt16BE(offset);
  const questionEnd = offset + 4;
  const name = labels.join(".").toLowerCase();
  questions.push(`${CODE_NAMES.get(qtype) ?? String(qtype)} ${name}`);

  const forName = zone.filter((r) => r.name.toLowerCase() === name);
  const matching = forName.filter((r) => TYPE_CODES[r.type] === qtype);
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2);
  const rd = msg.readUInt16BE(2) & 0x0100;
  // QR, AA, RD as asked, RA; NXDOMAIN when the name has no record of any type.
  header.writeUInt16BE(0x8000 | 0x0400 | rd | 0x0080 | (forName.length === 0 ? 3 : 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(matching.length, 6);
  const parts = [header, msg.subarray(12, questionEnd)];
  for (const r of matching) {
    const rdata = encodeRdata(r);
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0); // the question's name
    fixed.writeUInt16BE(TYPE_CODES[r.type], 2);
    fixed.writeUInt16BE(CLASS_IN, 4);
    fixed.writeUInt32BE(TTL_SECONDS, 6);
    fixed.writeUInt16BE(rdata.length, 10);
    parts.push(fixed, rdata);
  }
  return Buffer.concat(parts);
}

function encodeRdata(r: DnsRecord): Buffer {
  switch (r.type) {
    case "A":
      if (!isIPv4(r.address)) throw new Error(`A record for ${r.name}: ${r.address} is not IPv4`);
      return Buffer.from(r.address.split(".").map(Number));
    case "AAAA":
      if (!isIPv6(r.address)) throw new Error(`AAAA record for ${r.name}: ${r.address} is not IPv6`);
      return ipv6Bytes(r.address);
    case "SRV": {
      const head = Buffer.alloc(6);
      head.writeUInt16BE(r.priority, 0);
      head.writeUInt16BE(r.weight, 2);
      head.writeUInt16BE(r.port, 4);
      return Buffer.concat([head, encodeName(r.target)]);
    }
    case "NAPTR": {
      const head = Buffer.alloc(4);
      head.writeUInt16BE(r.order, 0);
      head.writeUInt16BE(r.preference, 2);
      return Buffer.concat([head, charString(r.flags), charString(r.service), charString(r.regexp), encodeName(r.replacement)]);
    }
  }
}

function encodeName(name: string): Buffer {
  const labels = name === "." || name === "" ? [] : name.replace(/\.$/, "").split(".");
  return Buffer.concat([...labels.map((l) => charString(l)), Buffer.from([0])]);
}

function charString(s: string): Buffer {
  const bytes = Buffer.from(s, "latin1");
  if (bytes.length > 255) throw new Error(`DNS character-string longer than 255 bytes: ${s}`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

function ipv6Bytes(address: string): Buffer {
  const [head = "", tail] = address.split("::");
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
