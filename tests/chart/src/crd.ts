// The chart's CustomResourceDefinitions: whether their schemas are structural (what the API server
// requires of apiextensions.k8s.io/v1 CRDs), and a validator of custom resources against them.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { CHART_DIR } from "./helm.js";
import { parseManifests, type K8sObject } from "./validate.js";

export const CRD_DIR = join(CHART_DIR, "crds");

/** Every CRD of charts/sipfleet/crds/ (the YAML files; Helm ignores the rest too). */
export function chartCrds(): K8sObject[] {
  return readdirSync(CRD_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) => parseManifests(readFileSync(join(CRD_DIR, f), "utf8")));
}

type Schema = Record<string, any>;

/**
 * Where an openAPIV3Schema is not structural (Kubernetes "Specifying a structural schema"): every
 * node gives a type, unless it preserves unknown fields or is int-or-string; `items` is one schema;
 * no node has both properties and additionalProperties; the root's metadata restricts nothing
 * but its type.
 */
export function structuralErrors(schema: Schema | undefined, path = "openAPIV3Schema"): string[] {
  if (schema === undefined || typeof schema !== "object") return [`${path}: no schema`];
  const errors: string[] = [];
  const free = schema["x-kubernetes-preserve-unknown-fields"] === true || schema["x-kubernetes-int-or-string"] === true;
  if (typeof schema["type"] !== "string" && !free) errors.push(`${path}: no type`);
  if (schema["properties"] !== undefined && schema["additionalProperties"] !== undefined) errors.push(`${path}: both properties and additionalProperties`);
  for (const [name, child] of Object.entries((schema["properties"] ?? {}) as Record<string, Schema>)) {
    errors.push(...structuralErrors(child, `${path}.properties.${name}`));
  }
  if (schema["type"] === "array") {
    if (schema["items"] === undefined || Array.isArray(schema["items"])) errors.push(`${path}: items must be one schema`);
    else errors.push(...structuralErrors(schema["items"], `${path}.items`));
  }
  if (typeof schema["additionalProperties"] === "object") errors.push(...structuralErrors(schema["additionalProperties"], `${path}.additionalProperties`));
  if (path === "openAPIV3Schema") {
    const metadata = (schema["properties"] as Record<string, Schema> | undefined)?.["metadata"];
    if (metadata !== undefined && Object.keys(metadata).some((k) => k !== "type" && k !== "description")) errors.push(`${path}.properties.metadata: may only give its type`);
  }
  return errors;
}

/**
 * A copy of a CRD schema in which objects with declared properties refuse other keys: the API
 * server would prune them silently (or refuse them with kubectl's strict field validation), so an
 * example with a misspelt key is wrong either way.
 */
function closed(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (out["properties"] !== undefined) {
    out["properties"] = Object.fromEntries(Object.entries(out["properties"] as Record<string, Schema>).map(([k, v]) => [k, closed(v)]));
    if (out["x-kubernetes-preserve-unknown-fields"] !== true && out["additionalProperties"] === undefined) out["additionalProperties"] = false;
  }
  if (out["items"] !== undefined && !Array.isArray(out["items"])) out["items"] = closed(out["items"] as Schema);
  return out;
}

/** Validates a custom resource against the CRD of its kind; errors name the resource and the key. */
export function customResourceValidator(crds: readonly K8sObject[]): (resource: K8sObject) => string[] {
  // x-kubernetes-* keywords are unknown to Ajv (strict off); formats (int64, date-time) only in status.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const byKind = new Map<string, { version: string; validate: ValidateFunction }>();
  for (const crd of crds) {
    const group = crd.spec.group as string;
    for (const version of crd.spec.versions as Schema[]) {
      byKind.set(`${group}/${version["name"]}/${crd.spec.names.kind}`, { version: version["name"], validate: ajv.compile(closed(version["schema"].openAPIV3Schema)) });
    }
  }
  return (resource) => {
    const where = `${resource.kind}/${resource.metadata?.name}`;
    const entry = byKind.get(`${resource.apiVersion}/${resource.kind}`);
    if (entry === undefined) return [`${where}: no CRD for ${resource.apiVersion} ${resource.kind}`];
    if (entry.validate(resource)) return [];
    return (entry.validate.errors ?? []).map((e) => `${where}: ${e.instancePath || "/"} ${e.message ?? ""}${e.params && "additionalProperty" in e.params ? ` (${String(e.params["additionalProperty"])})` : ""}`);
  };
}
