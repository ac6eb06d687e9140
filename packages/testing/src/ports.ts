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

/**
 * The first of `n` consecutive ports free for TCP and UDP (several edges of one test listen on
 * port, port + 1, ...).
 */
export async function freePortRun(n: number, host = "127.0.0.1"): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort(host);
    let ok = true;
    for (let k = 1; k < n && ok; k++) ok = await portFree(host, base + k);
    if (ok) return base;
  }
  throw new Error(`freePortRun: no run of ${n} free ports on ${host} after 50 attempts`);
}

async function portFree(host: string, port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
  return tcp && (await udpPortFree(host, port));
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
