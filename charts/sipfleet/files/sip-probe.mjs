// helm test probe: SIP OPTIONS to the edge over UDP, expecting 200 OK from the edge itself (an
// OPTIONS to a served domain without user part is answered by the platform, RFC 3261 §11), then a
// REGISTER with Expires: 0 expecting the registrar's answer (401 from a digest domain, 200 from an
// open one): that proves edge -> NATS -> registrar -> location. Node built-ins only, so it runs in
// the Sipfleet image. Usage: node sip-probe.mjs <host> <port> <domain> [timeoutSeconds]
import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { randomBytes } from "node:crypto";

const [host = "127.0.0.1", portText = "5060", domain = "sipfleet.example", timeoutText = "5"] = process.argv.slice(2);
const port = Number(portText);
const timeoutMs = Number(timeoutText) * 1000;
const { address } = await lookup(host, { family: 4 });
const socket = createSocket("udp4");
await new Promise((resolve) => socket.bind(0, resolve));
const local = socket.address();
const tag = () => randomBytes(6).toString("hex");
const callId = `${tag()}@sipfleet-helm-test`;

function request(method, uri, cseq, extra) {
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${process.env.POD_IP ?? local.address}:${local.port};branch=z9hG4bK${tag()};rport`,
    "Max-Forwards: 70",
    `From: <sip:helm-test@${domain}>;tag=${tag()}`,
    `To: <sip:helm-test@${domain}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    ...extra,
    "Content-Length: 0",
    "",
    "",
  ];
  return Buffer.from(lines.join("\r\n"));
}

// Sends until a final response to `method` arrives (UDP: retransmit every 500 ms, Timer E's T1).
function transact(message, method) {
  return new Promise((resolve, reject) => {
    const resend = setInterval(() => socket.send(message, port, address), 500);
    const timer = setTimeout(() => finish(new Error(`no final response to ${method} from ${address}:${port} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (data) => {
      const text = data.toString("utf8");
      const status = /^SIP\/2\.0 (\d{3})/.exec(text);
      const cseq = /^CSeq:\s*\d+\s+(\S+)/im.exec(text);
      if (status === null || cseq?.[1] !== method || Number(status[1]) < 200) return;
      finish(undefined, Number(status[1]));
    };
    function finish(err, status) {
      clearInterval(resend);
      clearTimeout(timer);
      socket.off("message", onMessage);
      if (err) reject(err);
      else resolve(status);
    }
    socket.on("message", onMessage);
    socket.send(message, port, address);
  });
}

let failed = false;
const options = await transact(request("OPTIONS", `sip:${domain}`, 1, ["Accept: application/sdp"]), "OPTIONS");
console.log(`OPTIONS sip:${domain} -> ${options}`);
if (options !== 200) failed = true;
const contact = `<sip:helm-test@${process.env.POD_IP ?? local.address}:${local.port}>`;
const register = await transact(request("REGISTER", `sip:${domain}`, 2, [`Contact: ${contact}`, "Expires: 0"]), "REGISTER");
console.log(`REGISTER sip:${domain} -> ${register}`);
if (register !== 401 && register !== 200) failed = true;
socket.close();
console.log(failed ? "FAIL" : "OK");
process.exit(failed ? 1 : 0);
