import { hostname } from "node:os";
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { type AcceptedCondition, type ConfigKind, type ConfigResource, API_VERSION, GROUP, PLURAL_OF_KIND, VERSION } from "./resources.js";

/*
 * Writes what the watcher decided about a resource where `kubectl` shows it: the Accepted
 * condition in its status (through the /status subresource, so the spec and its generation are
 * untouched), and a Warning Event when it is refused. A failed write is logged, never thrown: the
 * configuration in force does not depend on it.
 */

export interface StatusLogger {
  warn(obj: object, msg: string): void;
}

export interface StatusReporterOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** The Events' source.component / reportingComponent: which service refused it. */
  readonly component: string;
  readonly logger: StatusLogger;
}

/** The event reason of a refused resource (`kubectl get events --field-selector reason=...`). */
export const INVALID_EVENT_REASON = "InvalidConfiguration";

export class StatusReporter {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;

  constructor(private readonly options: StatusReporterOptions) {
    this.custom = options.kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Sets the Accepted condition unless the resource already shows exactly it. */
  async setCondition(kind: ConfigKind, resource: ConfigResource, wanted: Omit<AcceptedCondition, "type" | "lastTransitionTime" | "observedGeneration">): Promise<boolean> {
    const generation = resource.metadata.generation;
    const current = resource.status?.conditions?.find((c) => c.type === "Accepted");
    if (
      current !== undefined &&
      current.status === wanted.status &&
      current.reason === wanted.reason &&
      current.message === wanted.message &&
      current.observedGeneration === generation
    ) {
      return false;
    }
    const condition: AcceptedCondition = {
      type: "Accepted",
      ...wanted,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
      lastTransitionTime: current !== undefined && current.status === wanted.status && current.lastTransitionTime !== undefined ? current.lastTransitionTime : new Date().toISOString(),
    };
    const status = { ...(generation === undefined ? {} : { observedGeneration: generation }), conditions: [condition] };
    try {
      await this.custom.patchNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        namespace: this.options.namespace,
        plural: PLURAL_OF_KIND[kind],
        name: resource.metadata.name,
        body: [{ op: "add", path: "/status", value: status }],
      });
      return true;
    } catch (error) {
      this.options.logger.warn({ err: error, resource: `${kind}/${resource.metadata.name}` }, "cannot write the resource's status");
      return false;
    }
  }

  /** A Warning Event on the resource: `kubectl describe` shows why it was refused. */
  async invalid(kind: ConfigKind, resource: ConfigResource, message: string): Promise<void> {
    const now = new Date();
    try {
      await this.core.createNamespacedEvent({
        namespace: this.options.namespace,
        body: {
          metadata: { generateName: `${resource.metadata.name}.`, namespace: this.options.namespace },
          involvedObject: {
            apiVersion: API_VERSION,
            kind,
            name: resource.metadata.name,
            namespace: this.options.namespace,
            ...(resource.metadata.uid === undefined ? {} : { uid: resource.metadata.uid }),
            ...(resource.metadata.resourceVersion === undefined ? {} : { resourceVersion: resource.metadata.resourceVersion }),
          },
          reason: INVALID_EVENT_REASON,
          message,
          type: "Warning",
          source: { component: this.options.component },
          reportingComponent: this.options.component,
          reportingInstance: hostname(),
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      this.options.logger.warn({ err: error, resource: `${kind}/${resource.metadata.name}` }, "cannot post the Event of a refused resource");
    }
  }
}
