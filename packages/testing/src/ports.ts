import { createServer } from "node:net";
import { createSocket } from "node:dgram";

/**
 * A port on 127.0.0.1 that is free for both TCP and UDP right now (SIP listens on both). Another
 * process may still take it before the caller binds; tests bind at once.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freeTcpPort(host);
    if (await udpPortFree(host, port)) return port;
  }
  throw new Error(`freePort: no port free for both TCP and UDP on ${host} after 20 attempts`);
}

function freeTcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function udpPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket("udp4");
    sock.once("error", () => resolve(false));
    sock.bind(port, host, () => sock.close(() => resolve(true)));
  });
}
