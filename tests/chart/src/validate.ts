// Validates rendered Kubernetes objects against the API's OpenAPI schemas as the kubernetes-models
// packages compile them (types, required fields, enums, int32/quantity formats; unknown fields are
// not flagged by those schemas), and ServiceMonitor against @kubernetes-models/prometheus-operator,
// generated from the operator's CRD. Plus the chart's own wiring invariants (selectors, port names).
import { parseAllDocuments } from "yaml";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  [key: string]: unknown;
}

/** Every document of a multi-document YAML stream; a YAML error (duplicated key too) throws. */
export function parseManifests(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value = doc.toJS() as K8sObject | null;
    if (value !== null) out.push(value);
  }
  return out;
}

/** The module that holds the model of apiVersion/kind. */
function modelModule(apiVersion: string, kind: string): string {
  if (apiVersion === "monitoring.coreos.com/v1") return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/** Schema errors of one object; an apiVersion/kind without a schema is an error too. */
export async function schemaErrors(object: K8sObject): Promise<string[]> {
  const where = `${object.kind}/${object.metadata?.name}`;
  let Model: new (data: unknown) => { validate(): void };
  try {
    const module = (await import(modelModule(object.apiVersion, object.kind))) as Record<string, typeof Model>;
    const found = module[object.kind];
    if (found === undefined) throw new Error("no model");
    Model = found;
  } catch {
    return [`${where}: no schema for ${object.apiVersion} ${object.kind}`];
  }
  try {
    new Model(object).validate();
    return [];
  } catch (err) {
    return [`${where}: ${(err as Error).message}`];
  }
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Wiring the API server would accept but that would not work: what selects nothing, names no port. */
export function wiringErrors(objects: readonly K8sObject[]): string[] {
  const errors: string[] = [];
  const deployments = objects.filter((o) => o.kind === "Deployment");
  const podsOf = (selector: Record<string, string> | undefined) => deployments.filter((d) => selects(selector, d.spec.template.metadata.labels));
  const portNames = (d: K8sObject) => new Set<string>(d.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.name)));
  for (const d of deployments) {
    const where = `Deployment/${d.metadata.name}`;
    if (!selects(d.spec.selector.matchLabels, d.spec.template.metadata.labels)) errors.push(`${where}: selector does not match its pod labels`);
    const pod = d.spec.template.spec;
    if (pod.securityContext?.runAsNonRoot !== true) errors.push(`${where}: pod not runAsNonRoot`);
    for (const c of pod.containers) {
      if (c.securityContext?.allowPrivilegeEscalation !== false) errors.push(`${where}: ${c.name} may escalate privileges`);
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        const port = c[probe]?.httpGet?.port;
        if (port === undefined) errors.push(`${where}: ${c.name} has no ${probe}`);
        else if (typeof port === "string" && !portNames(d).has(port)) errors.push(`${where}: ${probe} names port ${port}, which the container lacks`);
      }
      const names = new Set<string>();
      for (const e of c.env ?? []) {
        if (names.has(e.name)) errors.push(`${where}: env ${e.name} set twice`);
        names.add(e.name);
      }
    }
  }
  for (const s of objects.filter((o) => o.kind === "Service")) {
    const targets = podsOf(s.spec.selector);
    if (targets.length === 0) errors.push(`Service/${s.metadata.name}: selects no Deployment's pods`);
    for (const p of s.spec.ports ?? []) {
      if (typeof p.targetPort === "string" && !targets.every((d) => portNames(d).has(p.targetPort))) errors.push(`Service/${s.metadata.name}: targetPort ${p.targetPort} is no container port name`);
    }
  }
  for (const o of objects.filter((x) => x.kind === "PodDisruptionBudget" || x.kind === "NetworkPolicy")) {
    const selector = o.kind === "NetworkPolicy" ? o.spec.podSelector.matchLabels : o.spec.selector.matchLabels;
    if (podsOf(selector).length !== 1) errors.push(`${o.kind}/${o.metadata.name}: selects ${podsOf(selector).length} Deployments, expected 1`);
  }
  for (const h of objects.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
    const target = deployments.find((d) => d.metadata.name === h.spec.scaleTargetRef.name);
    if (target === undefined) errors.push(`HorizontalPodAutoscaler/${h.metadata.name}: scales no rendered Deployment`);
    else if (target.spec.replicas !== undefined) errors.push(`HorizontalPodAutoscaler/${h.metadata.name}: its Deployment also fixes replicas (each upgrade would reset the HPA's count)`);
  }
  return errors;
}
