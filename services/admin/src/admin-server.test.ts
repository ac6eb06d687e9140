import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { BindingChange } from "@sipfleet/bindings";
import { GrpcBindingStore } from "@sipfleet/location-client";
import { RedisBindingStore, startLocationService, type RunningLocationService } from "@sipfleet/location";
import { createLogger } from "@sipfleet/runtime";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, startRedisServer, type EngineProcess } from "@sipfleet/testing";
import { startAdminServer, type AdminServer } from "./admin-server.js";
import { OPENAPI_DOCUMENT } from "./openapi.js";
import { parseTokens } from "./tokens.js";

const READ = "read-token-0123456789";
const ADMIN = "admin-token-0123456789";

let redis: EngineProcess;
let redisStore: RedisBindingStore;
let location: RunningLocationService;
let client: GrpcBindingStore;
let admin: AdminServer;

function change(key: string, ip: string, port: number, userAgent: string): BindingChange {
  const flow = { edgeId: "edge-1", connectionId: `c-${ip}-${port}`, transport: "tcp", remote: { ip, port }, local: { ip: "127.0.0.1", port: 5060 } } as const;
  return { key, contact: `<${key}>;expires=60`, qMillis: 500, instanceId: "", regId: 0, path: [], flow, userAgent, lifetimeMs: 60_000 };
}

async function register(aor: string, changes: BindingChange[]): Promise<void> {
  const r = await client.save({ aor, callId: `call-${aor}`, cseq: 1, changes, removeAll: false, maxBindings: 0, nowMs: Date.now() });
  assert.equal(r.outcome, "saved");
}

async function call(method: string, path: string, token?: string): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`http://${admin.address}${path}`, { method, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** Every registration a query finds, following nextPageToken; checks each page holds at most `limit`. */
async function all(query: string, limit: number): Promise<{ aors: string[]; pages: number; body: any[] }> {
  const found: any[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const r = await call("GET", `/api/v1/registrations?limit=${limit}${query}${token === undefined ? "" : `&pageToken=${encodeURIComponent(token)}`}`, READ);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.registrations.length <= limit);
    found.push(...r.body.registrations);
    token = r.body.nextPageToken;
    pages++;
  } while (token !== undefined);
  return { aors: found.map((x) => x.aor).sort(), pages, body: found };
}

before(async () => {
  redis = await startRedisServer();
  redisStore = new RedisBindingStore(redis.url);
  location = await startLocationService({ listen: "127.0.0.1:0", store: redisStore });
  client = new GrpcBindingStore(location.address);
  admin = await startAdminServer({ listen: "127.0.0.1:0", tokens: parseTokens(`${READ}:read ${ADMIN}:admin`, "ADMIN_TOKENS"), store: client, logger: createLogger("admin-test", { level: "silent" }) });
  await register("sip:alice@a.test", [change("sip:alice@127.0.0.2:5070", "127.0.0.2", 5070, "Phone/1.0"), change("sip:alice@127.0.0.9:5080", "127.0.0.9", 5080, "Softphone/2")]);
  await register("sip:bob@a.test", [change("sip:bob@127.0.0.3", "127.0.0.3", 5060, "")]);
  await register("sip:carol@a.test", [change("sip:carol@127.0.0.4", "127.0.0.4", 5060, "x")]);
  await register("sip:dave@b.test", [change("sip:dave@127.0.0.9", "127.0.0.9", 6000, "y")]);
  await register("sip:alice@b.test", [change("sip:alice@127.0.0.6", "127.0.0.6", 5060, "z")]);
});

after(async () => {
  await admin?.stop();
  await client?.close();
  await location?.stop();
  await redisStore?.close();
  await redis?.stop();
});

describe("admin API: authentication and roles", () => {
  it("no token or an unknown one: 401 with WWW-Authenticate: Bearer", async () => {
    for (const token of [undefined, "not-a-configured-token"]) {
      const r = await call("GET", "/api/v1/registrations", token);
      assert.equal(r.status, 401);
      assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.equal(r.body.error.code, "unauthenticated");
    }
  });

  it("read may list and get but not remove (403); admin may remove", async () => {
    assert.equal((await call("GET", "/api/v1/registrations", READ)).status, 200);
    assert.equal((await call("GET", "/api/v1/registrations/sip%3Abob%40a.test", READ)).status, 200);
    const refused = await call("DELETE", "/api/v1/registrations/sip%3Abob%40a.test", READ);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "permission_denied");
    assert.equal((await call("GET", "/api/v1/registrations", ADMIN)).status, 200);
    await register("sip:temp@a.test", [change("sip:temp@127.0.0.8", "127.0.0.8", 5060, "")]);
    const removed = await call("DELETE", "/api/v1/registrations/sip%3Atemp%40a.test", ADMIN);
    assert.deepEqual([removed.status, removed.body], [200, { removed: 1 }]);
  });

  it("the OpenAPI document needs no token; unknown paths are 404, wrong methods 405 with Allow", async () => {
    assert.equal((await call("GET", "/api/v1/openapi.json")).status, 200);
    assert.equal((await call("GET", "/api/v1/nothing", READ)).status, 404);
    const r = await call("POST", "/api/v1/registrations/sip%3Abob%40a.test", ADMIN);
    assert.equal(r.status, 405);
    assert.equal(r.headers.get("allow"), "GET, DELETE");
  });
});

describe("admin API: registrations", () => {
  it("lists every live AOR across pages, never more than limit a page", async () => {
    const { aors, pages } = await all("", 2);
    assert.deepEqual(aors, ["sip:alice@a.test", "sip:alice@b.test", "sip:bob@a.test", "sip:carol@a.test", "sip:dave@b.test"]);
    assert.ok(pages >= 3, `pages ${pages}`);
  });

  it("shows the flow, user agent and remaining expiry of each binding", async () => {
    const r = await call("GET", "/api/v1/registrations/sip%3Aalice%40A.TEST", READ);
    assert.equal(r.status, 200);
    assert.equal(r.body.aor, "sip:alice@a.test");
    assert.deepEqual([r.body.user, r.body.domain], ["alice", "a.test"]);
    const phone = r.body.bindings.find((b: any) => b.key === "sip:alice@127.0.0.2:5070");
    assert.equal(phone.userAgent, "Phone/1.0");
    assert.deepEqual(phone.flow, { edgeId: "edge-1", connectionId: "c-127.0.0.2-5070", transport: "tcp", source: "127.0.0.2:5070", local: "127.0.0.1:5060" });
    assert.equal(phone.q, 0.5);
    assert.ok(phone.expiresInSeconds > 0 && phone.expiresInSeconds <= 60, `expiresInSeconds ${phone.expiresInSeconds}`);
    assert.ok(Date.parse(phone.expiresAt) > Date.now());
  });

  it("searches by user, by domain (any case) and by source address", async () => {
    assert.deepEqual((await all("&user=alice", 2)).aors, ["sip:alice@a.test", "sip:alice@b.test"]);
    assert.deepEqual((await all("&domain=B.test", 2)).aors, ["sip:alice@b.test", "sip:dave@b.test"]);
    assert.deepEqual((await all("&user=alice&domain=a.test", 1)).aors, ["sip:alice@a.test"]);
    const byIp = await all("&source=127.0.0.9", 2);
    assert.deepEqual(byIp.aors, ["sip:alice@a.test", "sip:dave@b.test"]);
    // Only the binding from that address is shown, not alice's other device.
    assert.deepEqual(byIp.body.find((x) => x.aor === "sip:alice@a.test").bindings.map((b: any) => b.flow.source), ["127.0.0.9:5080"]);
    assert.deepEqual((await all("&source=127.0.0.9:6000", 5)).aors, ["sip:dave@b.test"]);
    assert.deepEqual((await all("&user=nobody", 5)).aors, []);
    assert.deepEqual((await all("&source=%5B%3A%3A1%5D%3A5060", 5)).aors, []);
  });

  it("answers 400 naming the parameter at fault", async () => {
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=abc", "limit"],
      ["limit=1001", "limit"],
      ["source=not-an-address", "source"],
      ["source=dead", "source"],
      ["source=127.0.0.1:99999", "source"],
      ["user=", "user"],
      ["pageToken=garbage", "pageToken"],
    ] as const) {
      const r = await call("GET", `/api/v1/registrations?${query}`, READ);
      assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, "invalid_argument");
      assert.equal(r.body.error.field, field, query);
      assert.match(r.body.error.message, new RegExp(`^${field}:`));
    }
    for (const path of ["/api/v1/registrations/no-at-sign", "/api/v1/registrations/%E0%A4%A"]) {
      const r = await call("GET", path, READ);
      assert.equal(r.status, 400, path);
      assert.equal(r.body.error.field, "aor");
    }
  });

  it("an AOR without live bindings is 404", async () => {
    const r = await call("GET", "/api/v1/registrations/sip%3Anobody%40a.test", READ);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, "not_found");
  });

  it("removes one binding by contact, then the rest, then says there is nothing", async () => {
    await register("sip:gone@a.test", [change("sip:gone@127.0.0.10", "127.0.0.10", 5060, ""), change("sip:gone@127.0.0.11", "127.0.0.11", 5060, "")]);
    const path = "/api/v1/registrations/sip%3Agone%40a.test";
    const missing = await call("DELETE", `${path}?contact=${encodeURIComponent("sip:gone@127.0.0.99")}`, ADMIN);
    assert.deepEqual([missing.status, missing.body.error.field], [404, "contact"]);
    const one = await call("DELETE", `${path}?contact=${encodeURIComponent("<sip:gone@127.0.0.10>")}`, ADMIN);
    assert.deepEqual(one.body, { removed: 1 });
    assert.deepEqual((await client.lookup("sip:gone@a.test")).map((b) => b.key), ["sip:gone@127.0.0.11"]);
    assert.deepEqual((await call("DELETE", path, ADMIN)).body, { removed: 1 });
    assert.deepEqual(await client.lookup("sip:gone@a.test"), []);
    assert.equal((await call("DELETE", path, ADMIN)).status, 404);
  });
});

describe("admin API: OpenAPI document", () => {
  it("is OpenAPI 3.1 JSON describing exactly the server's routes, with every $ref resolving", async () => {
    const r = await fetch(`http://${admin.address}/api/v1/openapi.json`);
    assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
    const doc = JSON.parse(await r.text());
    assert.deepEqual(doc, JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
    assert.match(doc.openapi, /^3\.1\./);
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const served = admin.routes.map((route) => `${route.method} ${route.path}`).sort();
    assert.deepEqual(documented, served);
    // A route that needs no token says so (security: []), and every other one inherits bearer.
    for (const route of admin.routes) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      assert.equal(Array.isArray(op.security) && op.security.length === 0, route.role === undefined, `${route.method} ${route.path}`);
    }
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      const pointer = ref.slice(8, -1).replace(/^#\//, "").split("/");
      assert.notEqual(pointer.reduce((node: any, key) => node?.[key], doc), undefined, ref);
    }
  });
});

describe("admin API process (dist/main.js)", () => {
  it("serves from its environment with a health server, and exits 0 on SIGTERM", async () => {
    const [port, healthPort] = [await freePort(), await freePort()];
    const main = fileURLToPath(new URL("./main.js", import.meta.url));
    const env = { PATH: process.env.PATH ?? "", ADMIN_LISTEN: `127.0.0.1:${port}`, HEALTH_LISTEN: `127.0.0.1:${healthPort}`, ADMIN_TOKENS: `${READ}:read`, LOCATION_ADDRESSES: location.address };
    const child = spawn(process.execPath, [main], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      let listed: any;
      for (let i = 0; i < 100 && listed === undefined; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/registrations?user=dave`, { headers: { authorization: `Bearer ${READ}` } });
          listed = { status: res.status, body: await res.json() };
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.equal(listed?.status, 200, stderr);
      assert.deepEqual(listed.body.registrations.map((x: any) => x.aor), ["sip:dave@b.test"]);
      assert.equal((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status, 200);
      assert.match(stderr, /admin api ready/);
      child.kill("SIGTERM");
      assert.equal(await exited, 0, stderr);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
