import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/*
 * A Kubernetes API server for tests, on loopback, speaking just enough of the protocol for a
 * client's informers and status writers: list (with a resourceVersion), watch (JSON lines of
 * {type, object} from a resourceVersion on, ADDED / MODIFIED / DELETED), get, create, replace,
 * delete, the /status subresource (PUT, and PATCH as a JSON merge patch) and Events (core/v1 and
 * events.k8s.io/v1, kept for the test to read). Any namespaced collection works:
 * /api/v1/namespaces/<ns>/secrets, /apis/<group>/<version>/namespaces/<ns>/<plural>.
 * No authentication, no schema: what it stores is what it was given, so a test can hand the
 * client exactly the resource it means to (an invalid one included).
 */

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

interface WatchEvent {
  readonly resourceVersion: number;
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly object: KubeObject;
}

interface Collection {
  readonly objects: Map<string, KubeObject>;
  readonly history: WatchEvent[];
  readonly watchers: Set<ServerResponse>;
}

export interface KubeApiRequest {
  readonly method: string;
  readonly path: string;
}

export interface KubeApiServer {
  /** http://127.0.0.1:<port>: a kubeconfig cluster's `server`. */
  readonly url: string;
  /** Creates or replaces an object (its collection from apiVersion, kind and metadata.namespace). */
  apply(object: KubeObject): KubeObject;
  /** Deletes an object; false if there was none. */
  remove(apiVersion: string, kind: string, namespace: string, name: string): boolean;
  get(apiVersion: string, kind: string, namespace: string, name: string): KubeObject | undefined;
  /** Events posted to the namespace (core/v1 and events.k8s.io/v1), oldest first. */
  events(namespace: string): KubeObject[];
  /** Every request served, oldest first (watches included). */
  readonly requests: readonly KubeApiRequest[];
  /** Resolves once `check` returns something other than undefined/false, polling the stored state. */
  waitFor<T>(check: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Plurals of the kinds the tests use; other kinds get lower-case + "s". */
const PLURALS: Readonly<Record<string, string>> = {
  Secret: "secrets",
  Event: "events",
  SipDomain: "sipdomains",
  SipUser: "sipusers",
  SipTrunk: "siptrunks",
  NumberRoute: "numberroutes",
};

const COLLECTION = /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/(status))?)?$/;

export async function startKubeApiServer(): Promise<KubeApiServer> {
  const collections = new Map<string, Collection>();
  const requests: KubeApiRequest[] = [];
  let resourceVersion = 1;

  const collectionOf = (key: string): Collection => {
    let c = collections.get(key);
    if (c === undefined) {
      c = { objects: new Map(), history: [], watchers: new Set() };
      collections.set(key, c);
    }
    return c;
  };
  const keyFor = (apiVersion: string, kind: string, namespace: string): string =>
    `${apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`}/namespaces/${namespace}/${PLURALS[kind] ?? `${kind.toLowerCase()}s`}`;

  const record = (c: Collection, type: WatchEvent["type"], object: KubeObject): void => {
    const event: WatchEvent = { resourceVersion: Number(object.metadata["resourceVersion"]), type, object: structuredClone(object) };
    c.history.push(event);
    for (const watcher of c.watchers) watcher.write(`${JSON.stringify({ type, object: event.object })}\n`);
  };

  const store = (key: string, incoming: KubeObject, keepStatus: boolean): KubeObject => {
    const c = collectionOf(key);
    const name = incoming.metadata.name;
    const old = c.objects.get(name);
    const object: KubeObject = structuredClone(incoming);
    const contentChanged = old === undefined || JSON.stringify(withoutMeta(old, true)) !== JSON.stringify(withoutMeta(object, true));
    const oldGeneration = Number(old?.metadata["generation"] ?? 0);
    object.metadata = {
      ...object.metadata,
      namespace: key.split("/namespaces/")[1]?.split("/")[0] ?? "default",
      uid: old?.metadata["uid"] ?? randomUUID(),
      creationTimestamp: old?.metadata["creationTimestamp"] ?? new Date().toISOString(),
      generation: contentChanged ? oldGeneration + 1 : oldGeneration,
      resourceVersion: String(++resourceVersion),
    };
    if (keepStatus && old?.["status"] !== undefined) object["status"] = old["status"];
    c.objects.set(name, object);
    record(c, old === undefined ? "ADDED" : "MODIFIED", object);
    return object;
  };

  const remove = (key: string, name: string): KubeObject | undefined => {
    const c = collectionOf(key);
    const old = c.objects.get(name);
    if (old === undefined) return undefined;
    c.objects.delete(name);
    const gone = { ...old, metadata: { ...old.metadata, resourceVersion: String(++resourceVersion) } };
    record(c, "DELETED", gone);
    return gone;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => send(res, 500, status(500, "InternalError", String(error))));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    requests.push({ method, path: `${url.pathname}${url.search}` });
    if (url.pathname === "/version") return send(res, 200, { major: "1", minor: "30", gitVersion: "v1.30.0-sipfleet-test" });
    const m = COLLECTION.exec(url.pathname);
    if (m === null) return send(res, 404, status(404, "NotFound", `no route for ${url.pathname}`));
    const [, group, version, namespace = "", plural = "", name, sub] = m;
    const key = `${group === undefined ? "/api/v1" : `/apis/${group}/${version}`}/namespaces/${namespace}/${plural}`;
    const c = collectionOf(key);
    const body = method === "GET" || method === "DELETE" ? undefined : await readJson(req);

    if (name === undefined) {
      if (method === "GET" && (url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1")) {
        return watch(c, res, Number(url.searchParams.get("resourceVersion") ?? "0"));
      }
      if (method === "GET") {
        return send(res, 200, {
          apiVersion: group === undefined ? "v1" : `${group}/${version}`,
          kind: "List",
          metadata: { resourceVersion: String(resourceVersion) },
          items: [...c.objects.values()],
        });
      }
      if (method === "POST") {
        const object = body as KubeObject;
        object.metadata ??= { name: "" };
        if (!object.metadata.name) object.metadata.name = `${String(object.metadata["generateName"] ?? "obj-")}${randomUUID().slice(0, 8)}`;
        if (c.objects.has(object.metadata.name)) return send(res, 409, status(409, "AlreadyExists", `${object.metadata.name} exists`));
        return send(res, 201, store(key, object, false));
      }
      return send(res, 405, status(405, "MethodNotAllowed", method));
    }

    const old = c.objects.get(name);
    if (method === "GET") return old === undefined ? send(res, 404, status(404, "NotFound", `${plural} "${name}" not found`)) : send(res, 200, old);
    if (method === "DELETE") {
      const gone = remove(key, name);
      return gone === undefined ? send(res, 404, status(404, "NotFound", `${plural} "${name}" not found`)) : send(res, 200, gone);
    }
    if (sub === "status") {
      if (old === undefined) return send(res, 404, status(404, "NotFound", `${plural} "${name}" not found`));
      const next = structuredClone(old);
      next["status"] = Array.isArray(body) ? jsonPatchStatus(old["status"], body) : method === "PATCH" ? mergePatch(old["status"], (body as Record<string, unknown>)["status"]) : (body as Record<string, unknown>)["status"];
      // Only the status changes: spec and generation stay as they are (the subresource's contract).
      return send(res, 200, store(key, next, false));
    }
    if (method === "PUT") return send(res, old === undefined ? 201 : 200, store(key, body as KubeObject, true));
    return send(res, 405, status(405, "MethodNotAllowed", method));
  }

  function watch(c: Collection, res: ServerResponse, from: number): void {
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    // The client waits for the headers before it reads a line: send them now, not with the first event.
    res.flushHeaders();
    for (const event of c.history) {
      if (event.resourceVersion > from) res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    }
    c.watchers.add(res);
    res.on("close", () => c.watchers.delete(res));
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    apply: (object) => store(keyFor(object.apiVersion ?? "v1", object.kind ?? "", object.metadata.namespace ?? "default"), object, true),
    remove: (apiVersion, kind, namespace, name) => remove(keyFor(apiVersion, kind, namespace), name) !== undefined,
    get: (apiVersion, kind, namespace, name) => collections.get(keyFor(apiVersion, kind, namespace))?.objects.get(name),
    events: (namespace) => [
      ...(collections.get(`/api/v1/namespaces/${namespace}/events`)?.objects.values() ?? []),
      ...(collections.get(`/apis/events.k8s.io/v1/namespaces/${namespace}/events`)?.objects.values() ?? []),
    ],
    async waitFor(check, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = check();
        if (value !== undefined && value !== false) return value as never;
        if (Date.now() > deadline) throw new Error("kube-api-server: waitFor timed out");
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      for (const c of collections.values()) for (const w of c.watchers) w.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The object without server-set metadata (and optionally status): what a change of content is. */
function withoutMeta(object: KubeObject, dropStatus: boolean): unknown {
  const { metadata, status: st, ...rest } = object;
  const { name, labels, annotations } = metadata;
  return { name, labels, annotations, ...rest, ...(dropStatus ? {} : { status: st }) };
}

/** RFC 6902 JSON patch, for the operations a status writer sends: add / replace / remove of /status. */
function jsonPatchStatus(current: unknown, ops: readonly unknown[]): unknown {
  let out = current;
  for (const op of ops as { op: string; path: string; value?: unknown }[]) {
    if (op.path !== "/status") throw new Error(`json patch of ${op.path}: only /status is supported by this test server`);
    out = op.op === "remove" ? undefined : op.value;
  }
  return out;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function status(code: number, reason: string, message: string): unknown {
  return { apiVersion: "v1", kind: "Status", status: "Failure", code, reason, message };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? {} : JSON.parse(text);
}
