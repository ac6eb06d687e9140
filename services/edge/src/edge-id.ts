import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { EdgeConfigError } from "./errors.js";

/** Environment variable naming the edge (a pod name in a cluster). */
export const EDGE_ID_ENV = "SIPFLEET_EDGE_ID";

/*
 * The edge id is a NATS subject token (`edge.<id>.*`, see @sipfleet/proto edgeSubject) and part
 * of every flow the edge hands out, so it must be one token: no ".", no white space, no wildcard.
 */
const EDGE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidEdgeId(id: string): boolean {
  return EDGE_ID.test(id);
}

/**
 * The edge's id: the one given, else `SIPFLEET_EDGE_ID`, else the host name (made a valid token)
 * with a short random suffix, so two edges on one host (tests, the embedded mode) never share one.
 * Throws `EdgeConfigError` naming where an unusable id came from.
 */
export function resolveEdgeId(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined) {
    if (!isValidEdgeId(explicit)) throw new EdgeConfigError(`edgeId: ${JSON.stringify(explicit)} must be 1-64 of A-Z a-z 0-9 _ -`);
    return explicit;
  }
  const fromEnv = env[EDGE_ID_ENV];
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!isValidEdgeId(fromEnv)) throw new EdgeConfigError(`${EDGE_ID_ENV}: ${JSON.stringify(fromEnv)} must be 1-64 of A-Z a-z 0-9 _ -`);
    return fromEnv;
  }
  const host = hostname().split(".")[0]?.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 48) || "edge";
  return `${host}-${randomBytes(3).toString("hex")}`;
}
