// Kamailio as the reference proxy + registrar for the call-flow scenarios: what Sipfleet's proxy is
// held to. The test's own process on a free loopback port, from a copy of
// scenarios/calls/kamailio-reference.cfg in a temporary directory, stopped by its PID
// (@sipfleet/testing's startKamailio, which the benchmarks share).
import { join } from "node:path";
import { freePort, startKamailio, type KamailioProcess } from "@sipfleet/testing";
import { CALL_SCENARIOS } from "./call-flows.js";
import { waitForUdpPort } from "./udp-ports.js";

export { kamailioBinary } from "@sipfleet/testing";

export const KAMAILIO_REFERENCE_CFG = join(CALL_SCENARIOS, "kamailio-reference.cfg");

export type ReferenceProxy = KamailioProcess;

export async function startKamailioReference(options: { port?: number } = {}): Promise<ReferenceProxy> {
  const port = options.port ?? (await freePort());
  return startKamailio({
    config: KAMAILIO_REFERENCE_CFG,
    port,
    // Ready once its SIP socket is bound: the flows' first REGISTER must not be lost.
    ready: (kamailio) =>
      waitForUdpPort(port, {
        timeoutMs: 10_000,
        what: "kamailio",
        gaveUp: () => (kamailio.running() ? undefined : `exited: ${kamailio.logs().trim()}`),
      }),
  });
}
