import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { credentials, status, type ServiceError } from "@grpc/grpc-js";
import { MemoryBindingStore, type BindingStore } from "@sipfleet/bindings";
import { LocationServiceClient, Transport, SaveResponse_Outcome, type ListResponse, type LookupResponse, type RemoveResponse, type SaveRequest, type SaveResponse, type UseNonceRequest, type UseNonceResponse, type Binding as WireBinding } from "@sipfleet/proto";
import { startLocationService, type RunningLocationService } from "./location-service.js";

type Callback<Res> = (err: ServiceError | null, res: Res) => void;

function call<Res>(fn: (cb: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
}

const wireChange = (over: Partial<WireBinding> = {}): WireBinding => ({
  key: "sip:a@127.0.0.2",
  contact: "<sip:a@127.0.0.2>",
  callId: "",
  cseq: 0,
  qMillis: 1000,
  instanceId: "",
  regId: 0,
  path: [],
  flow: { edgeId: "e", connectionId: "c", transport: Transport.TRANSPORT_TCP, remote: { ip: "127.0.0.2", port: 1 }, local: { ip: "127.0.0.1", port: 2 } },
  userAgent: "",
  updatedAtMs: 0,
  expiresInMs: 60_000,
  ...over,
});

const saveRequest = (over: Partial<SaveRequest> = {}): SaveRequest => ({
  aor: "sip:alice@example.test",
  callId: "c1",
  cseq: 1,
  changes: [wireChange()],
  removeAll: false,
  nonceUse: undefined,
  maxBindings: 0,
  nowMs: 0,
  ...over,
});

describe("location gRPC server", () => {
  let service: RunningLocationService;
  let client: LocationServiceClient;
  const memory = new MemoryBindingStore();
  let failNext = false;
  // A store that can be made to fail: synchronously (a bug) or by rejecting (Redis down).
  const store: BindingStore = {
    save: (r) => memory.save(r),
    useNonce: (r) => memory.useNonce(r),
    lookup: (aor) => {
      if (failNext) {
        failNext = false;
        throw new Error("synchronous failure");
      }
      return aor === "sip:down@example.test" ? Promise.reject(new Error("connect ECONNREFUSED")) : memory.lookup(aor);
    },
    remove: (aor, keys) => memory.remove(aor, keys),
    list: (n, t) => memory.list(n, t),
    close: () => memory.close(),
  };

  before(async () => {
    service = await startLocationService({ listen: "127.0.0.1:0", store });
    client = new LocationServiceClient(service.address, credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await service.stop();
  });

  const save = (r: SaveRequest) => call<SaveResponse>((cb) => client.save(r, cb));
  const useNonce = (r: UseNonceRequest) => call<UseNonceResponse>((cb) => client.useNonce(r, cb));
  const lookup = (aor: string) => call<LookupResponse>((cb) => client.lookup({ aor }, cb));
  const remove = (aor: string, keys: string[]) => call<RemoveResponse>((cb) => client.remove({ aor, keys }, cb));
  const list = (pageSize: number, pageToken: string) => call<ListResponse>((cb) => client.list({ pageSize, pageToken }, cb));
  const invalid = async (p: Promise<unknown>, details: RegExp) => {
    await assert.rejects(p, (err: ServiceError) => {
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(err.details, details);
      return true;
    });
  };

  it("answers INVALID_ARGUMENT naming what is missing or wrong", async () => {
    await invalid(save(saveRequest({ aor: "" })), /aor is required/);
    await invalid(save(saveRequest({ callId: "" })), /call_id is required/);
    await invalid(save(saveRequest({ changes: [wireChange({ key: "" })] })), /changes\[0\]\.key/);
    await invalid(save(saveRequest({ changes: [wireChange(), wireChange({ flow: undefined })] })), /changes\[1\]\.flow is missing/);
    await invalid(save(saveRequest({ changes: [wireChange({ flow: { ...wireChange().flow!, transport: Transport.TRANSPORT_UNSPECIFIED } })] })), /transport/);
    await invalid(save(saveRequest({ removeAll: true })), /remove_all excludes changes/);
    await invalid(save(saveRequest({ nonceUse: { nonce: "", nc: 1, ttlMs: 1000 } })), /nonce_use\.nonce/);
    await invalid(save(saveRequest({ nonceUse: { nonce: "n", nc: 1, ttlMs: 0 } })), /ttl_ms/);
    const use: UseNonceRequest = { aor: "sip:n@example.test", callId: "c", cseq: 1, nonceUse: { nonce: "n", nc: 1, ttlMs: 1000 } };
    await invalid(useNonce({ ...use, aor: "" }), /aor is required/);
    await invalid(useNonce({ ...use, callId: "" }), /call_id is required/);
    await invalid(useNonce({ ...use, nonceUse: undefined }), /nonce_use is required/);
    await invalid(useNonce({ ...use, nonceUse: { nonce: "", nc: 1, ttlMs: 1000 } }), /nonce_use\.nonce/);
    await invalid(useNonce({ ...use, nonceUse: { nonce: "n", nc: 1, ttlMs: 0 } }), /ttl_ms/);
    await invalid(lookup(""), /aor is required/);
    await invalid(remove("", []), /aor is required/);
    await invalid(remove("sip:a@example.test", [""]), /empty key/);
  });

  it("answers UseNonce: accepted once, then refused for the same count from another request", async () => {
    const use: UseNonceRequest = { aor: "sip:nonce@example.test", callId: "c1", cseq: 1, nonceUse: { nonce: "n1", nc: 1, ttlMs: 60_000 } };
    assert.deepEqual(await useNonce(use), { accepted: true });
    assert.deepEqual(await useNonce({ ...use, cseq: 2 }), { accepted: false });
  });

  it("saves with the server's clock when now_ms is 0, and returns expires_in_ms", async () => {
    const t0 = Date.now();
    const res = await save(saveRequest({ aor: "sip:clock@example.test" }));
    assert.equal(res.outcome, SaveResponse_Outcome.OUTCOME_SAVED);
    assert.equal(res.bindings.length, 1);
    assert.ok(res.bindings[0]!.updatedAtMs >= t0 && res.bindings[0]!.updatedAtMs <= Date.now());
    assert.ok(res.bindings[0]!.expiresInMs > 59_000 && res.bindings[0]!.expiresInMs <= 60_000);
    const again = await save(saveRequest({ aor: "sip:clock@example.test", cseq: 0 }));
    assert.equal(again.outcome, SaveResponse_Outcome.OUTCOME_OUT_OF_ORDER);
  });

  it("answers UNAVAILABLE when the store fails, by rejecting or by throwing, and keeps serving", async () => {
    await assert.rejects(lookup("sip:down@example.test"), (err: ServiceError) => err.code === status.UNAVAILABLE && /ECONNREFUSED/.test(err.details));
    failNext = true;
    await assert.rejects(lookup("sip:alice@example.test"), (err: ServiceError) => err.code === status.UNAVAILABLE);
    const ok = await lookup("sip:clock@example.test");
    assert.equal(ok.bindings.length, 1);
  });

  it("lists with the default page size when asked for 0", async () => {
    const page = await list(0, "");
    assert.ok(page.entries.some((e) => e.aor === "sip:clock@example.test"));
    assert.equal(page.nextPageToken, "");
  });
});
