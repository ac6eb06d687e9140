import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startOtlpReceiver } from "./otlp-receiver.js";

// An export as the OTLP/HTTP JSON exporter writes it: hex ids, numeric kind, intValue as a string.
const EXPORT = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "sipfleet-edge" } }] },
      scopeSpans: [
        {
          scope: { name: "sipfleet" },
          spans: [
            {
              traceId: "0AF7651916CD43DD8448EB211C80319C",
              spanId: "b7ad6b7169203331",
              name: "SIP INVITE",
              kind: 2,
              attributes: [
                { key: "sip.method", value: { stringValue: "INVITE" } },
                { key: "sip.cseq", value: { intValue: "2" } },
                { key: "sampled", value: { boolValue: true } },
                { key: "targets", value: { arrayValue: { values: [{ stringValue: "a" }, { intValue: 3 }] } } },
              ],
              events: [{ name: "sip.provisional", attributes: [{ key: "sip.status_code", value: { intValue: 180 } }] }],
              status: { code: 2 },
            },
            { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "00f067aa0ba902b7", parentSpanId: "b7ad6b7169203331", name: "SIP INVITE", kind: 3 },
          ],
        },
      ],
    },
  ],
};

async function post(endpoint: string, body: string | Uint8Array, type: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${endpoint}/v1/traces`, { method: "POST", headers: { "content-type": type }, body });
  return { status: res.status, body: await res.text() };
}

describe("startOtlpReceiver", () => {
  it("takes an OTLP/JSON export: 200 {}, spans flattened with their service, plain attribute values and events", async () => {
    const receiver = await startOtlpReceiver();
    try {
      assert.match(receiver.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      const waiting = receiver.waitFor((spans) => spans.length === 2);
      assert.deepEqual(await post(receiver.endpoint, JSON.stringify(EXPORT), "application/json"), { status: 200, body: "{}" });
      const [server, client] = await waiting;
      assert.deepEqual(server, {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        parentSpanId: "",
        name: "SIP INVITE",
        kind: "SERVER",
        serviceName: "sipfleet-edge",
        attributes: { "sip.method": "INVITE", "sip.cseq": 2, sampled: true, targets: ["a", 3] },
        events: [{ name: "sip.provisional", attributes: { "sip.status_code": 180 } }],
        statusCode: 2,
      });
      assert.equal(client?.kind, "CLIENT");
      assert.equal(client?.parentSpanId, server?.spanId);
      assert.equal(receiver.spans().length, 2);
    } finally {
      await receiver.stop();
    }
  });

  it("refuses protobuf with 415 and says so in rejected(); a wait that is not met rejects with what arrived", async () => {
    const receiver = await startOtlpReceiver();
    try {
      assert.equal((await post(receiver.endpoint, new Uint8Array([10, 0]), "application/x-protobuf")).status, 415);
      assert.equal((await post(receiver.endpoint, "{not json", "application/json")).status, 400);
      assert.equal(receiver.rejected().length, 2);
      assert.match(receiver.rejected()[0]!, /application\/x-protobuf.*http\/json/);
      await assert.rejects(receiver.waitFor((spans) => spans.length > 0, 200), /did not arrive within 200 ms; 0 span\(s\).*\n.*rejected exports/s);
    } finally {
      await receiver.stop();
    }
  });
});
