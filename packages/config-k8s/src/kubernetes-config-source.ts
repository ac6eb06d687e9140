import { CoreV1Api, CustomObjectsApi, type Informer, type KubeConfig, type KubernetesObject, type ObjectCache, makeInformer } from "@kubernetes/client-node";
import { ConfigError, type ConfigIssue, type Env, type SipfleetConfig, formatIssue, validateConfigDocument } from "@sipfleet/config";
import { type ResourceProblem, attributeIssues, buildConfigDocument } from "./config-document.js";
import {
  CONFIG_KINDS,
  type ConfigKind,
  type ConfigResource,
  GROUP,
  PLURAL_OF_KIND,
  type ResourceSnapshot,
  type SecretResource,
  VERSION,
  resourceLabel,
} from "./resources.js";
import { type StatusLogger, StatusReporter } from "./status-reporter.js";

/*
 * The configuration from custom resources: informers list and watch SipDomain, SipUser, SipTrunk,
 * NumberRoute and the Secrets of one namespace; after any change the whole set is turned into the
 * configuration document and validated by @sipfleet/config. A valid set becomes the new
 * SipfleetConfig in one step (listeners get it whole); an invalid one changes nothing in force,
 * and each resource at fault gets an Accepted=False condition and a Warning Event naming its key.
 */

export interface ConfigSourceLogger extends StatusLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The base document: what the SIPFLEET_CONFIG file holds (listen addresses, timers, auth, ...). */
export interface BaseDocument {
  readonly document: unknown;
  /** Names the base file in messages about it. */
  readonly source: string;
  /** Where relative paths in it start (its directory). */
  readonly baseDir: string;
}

export interface KubernetesConfigSourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly base: BaseDocument;
  /** Environment overrides (SIPFLEET_LISTEN, ...), as for the file. Default process.env. */
  readonly env?: Env;
  /** Who reports refusals in Events (`sipfleet-proxy`). */
  readonly component: string;
  readonly logger: ConfigSourceLogger;
  /** Changes arriving within this window are validated together (a `kubectl apply -f dir/`). */
  readonly settleMs?: number;
  /** Pause before an informer whose list or watch failed starts again. */
  readonly retryMs?: number;
  /** Write status conditions and Events (one writer is enough; every replica may). Default true. */
  readonly reportStatus?: boolean;
}

export const DEFAULT_KUBERNETES_CONFIG_SOURCE = Object.freeze({ settleMs: 50, retryMs: 1000, reportStatus: true });

/** Names the resources in validation messages: `kubernetes (namespace sipfleet)`. */
function sourceName(namespace: string): string {
  return `kubernetes (namespace ${namespace})`;
}

export type ConfigListener = (config: SipfleetConfig) => void;

/** The outcome of one validation: what was refused and why, for logs and tests. */
export interface ConfigRejection {
  readonly problems: readonly ResourceProblem[];
  readonly unattributed: readonly ConfigIssue[];
}

type AnyInformer = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

export class KubernetesConfigSource {
  private readonly options: Required<Omit<KubernetesConfigSourceOptions, "env">> & { env: Env };
  private readonly informers = new Map<ConfigKind | "Secret", AnyInformer>();
  private readonly listeners = new Set<ConfigListener>();
  private readonly rejectionListeners = new Set<(rejection: ConfigRejection) => void>();
  private readonly status: StatusReporter;
  private config: SipfleetConfig | undefined;
  /** Generation of each resource (by label) in the configuration in force. */
  private inForce = new Map<string, number | undefined>();
  private lastInput = "";
  private settleTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private synced = false;

  private constructor(options: KubernetesConfigSourceOptions) {
    this.options = { ...DEFAULT_KUBERNETES_CONFIG_SOURCE, ...options, env: options.env ?? process.env };
    this.status = new StatusReporter(this.options);
    const { kubeConfig, namespace } = this.options;
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    for (const kind of CONFIG_KINDS) {
      const plural = PLURAL_OF_KIND[kind];
      this.informers.set(
        kind,
        makeInformer(kubeConfig, `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`, () =>
          custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural }),
        ),
      );
    }
    this.informers.set(
      "Secret",
      makeInformer(kubeConfig, `/api/v1/namespaces/${namespace}/secrets`, () => core.listNamespacedSecret({ namespace })) as AnyInformer,
    );
  }

  /**
   * Lists every kind, validates the set, and resolves once a configuration is in force. Rejects
   * with ConfigError when the resources as they stand are invalid (after reporting them on the
   * resources): a service has nothing to start with then.
   */
  static async start(options: KubernetesConfigSourceOptions): Promise<KubernetesConfigSource> {
    const source = new KubernetesConfigSource(options);
    try {
      await source.startInformers();
      await source.reconcile();
      if (source.config === undefined) throw source.lastError ?? new ConfigError([{ source: sourceName(options.namespace), path: "", message: "no configuration" }]);
      return source;
    } catch (error) {
      await source.stop();
      throw error;
    }
  }

  private lastError: ConfigError | undefined;

  /** The configuration in force: read it per request (a field read), never keep it. */
  current(): SipfleetConfig {
    if (this.config === undefined) throw new Error("KubernetesConfigSource: no configuration yet");
    return this.config;
  }

  /** Called with each new configuration once it is in force. Returns the unsubscribe. */
  onConfig(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when a change is refused (the configuration in force stays). Returns the unsubscribe. */
  onRejected(listener: (rejection: ConfigRejection) => void): () => void {
    this.rejectionListeners.add(listener);
    return () => this.rejectionListeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.settleTimer);
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.running;
  }

  private async startInformers(): Promise<void> {
    await Promise.all(
      [...this.informers.entries()].map(async ([kind, informer]) => {
        let failed: unknown;
        informer.on("error", (err: unknown) => {
          failed = err;
          if (!this.synced || this.stopped) return;
          this.options.logger.warn({ err, kind }, "configuration watch failed; starting it again");
          setTimeout(() => void (this.stopped ? undefined : informer.start()), this.options.retryMs).unref();
        });
        for (const verb of ["add", "update", "delete"] as const) informer.on(verb, () => this.scheduleReconcile());
        for (;;) {
          failed = undefined;
          await informer.start();
          if (failed === undefined || this.stopped) return;
          this.options.logger.warn({ err: failed, kind }, "cannot list the configuration resources; trying again");
          await new Promise((r) => setTimeout(r, this.options.retryMs));
        }
      }),
    );
    this.synced = true;
  }

  private scheduleReconcile(): void {
    if (!this.synced || this.stopped) return;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      // One validation at a time, in order: the last one sees the latest state.
      this.running = this.running.then(() => this.reconcile()).catch((err: unknown) => this.options.logger.error({ err }, "configuration reconcile failed"));
    }, this.options.settleMs);
  }

  private snapshot(): { snapshot: ResourceSnapshot; byLabel: Map<string, { kind: ConfigKind; resource: ConfigResource }> } {
    const byLabel = new Map<string, { kind: ConfigKind; resource: ConfigResource }>();
    const list = (kind: ConfigKind): ConfigResource[] => {
      const items = (this.informers.get(kind)?.list(this.options.namespace) ?? []) as unknown as ConfigResource[];
      for (const resource of items) byLabel.set(resourceLabel(kind, resource.metadata.name), { kind, resource });
      return items;
    };
    const secrets = new Map<string, SecretResource>();
    for (const s of (this.informers.get("Secret")?.list(this.options.namespace) ?? []) as unknown as SecretResource[]) secrets.set(s.metadata.name, s);
    return {
      snapshot: { SipDomain: list("SipDomain"), SipUser: list("SipUser"), SipTrunk: list("SipTrunk"), NumberRoute: list("NumberRoute"), secrets },
      byLabel,
    };
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const { snapshot, byLabel } = this.snapshot();
    // Status writes come back as MODIFIED events: only a change of content is worth a validation.
    const input = fingerprint(snapshot);
    if (input === this.lastInput) return;
    this.lastInput = input;

    const built = buildConfigDocument(this.options.base.document, snapshot);
    let problems: ResourceProblem[] = [...built.referenceProblems];
    let unattributed: ConfigIssue[] = [];
    let config: SipfleetConfig | undefined;
    if (problems.length === 0) {
      try {
        config = validateConfigDocument(built.document, sourceName(this.options.namespace), { ...this.options.env, ...built.secretEnv }, {
          baseDir: this.options.base.baseDir,
        });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        const attributed = attributeIssues(error.issues, built.parts);
        problems = [...attributed.byResource.values()].flat();
        unattributed = [...attributed.unattributed];
      }
    }

    if (config !== undefined) {
      this.config = config;
      this.inForce = new Map([...byLabel].map(([label, { resource }]) => [label, resource.metadata.generation]));
      this.lastError = undefined;
      this.options.logger.info({ resources: byLabel.size }, "configuration from custom resources in force");
      for (const listener of this.listeners) listener(config);
      await this.report(byLabel, new Map());
      return;
    }

    const byResource = new Map<string, ResourceProblem[]>();
    for (const p of problems) {
      const label = resourceLabel(p.kind, p.name);
      byResource.set(label, [...(byResource.get(label) ?? []), p]);
    }
    const lines = [
      ...problems.map((p) => `${resourceLabel(p.kind, p.name)}: ${p.key}: ${p.message}`),
      ...unattributed.map(formatIssue),
    ];
    this.lastError = new ConfigError([
      ...problems.map((p) => ({ source: resourceLabel(p.kind, p.name), path: p.key, message: p.message })),
      ...unattributed,
    ]);
    this.options.logger.error({ problems: lines }, this.config === undefined ? "configuration from custom resources refused" : "configuration change refused; the previous one stays in force");
    for (const listener of this.rejectionListeners) listener({ problems, unattributed });
    await this.report(byLabel, byResource, lines[0]);
  }

  /** Accepted / Invalid / Pending on every resource whose condition changes; Events for the refused. */
  private async report(
    byLabel: ReadonlyMap<string, { kind: ConfigKind; resource: ConfigResource }>,
    refused: ReadonlyMap<string, readonly ResourceProblem[]>,
    firstProblem?: string,
  ): Promise<void> {
    if (!this.options.reportStatus) return;
    const writes: Promise<unknown>[] = [];
    for (const [label, { kind, resource }] of byLabel) {
      const problems = refused.get(label);
      if (problems !== undefined) {
        const message = problems.map((p) => `${p.key}: ${p.message}`).join("; ");
        writes.push(
          this.status.setCondition(kind, resource, { status: "False", reason: "Invalid", message }).then((changed) => (changed ? this.status.invalid(kind, resource, message) : undefined)),
        );
      } else if (this.inForce.has(label) && this.inForce.get(label) === resource.metadata.generation) {
        writes.push(this.status.setCondition(kind, resource, { status: "True", reason: "Accepted", message: "in force" }));
      } else {
        const why = refused.size > 0 ? `the configuration is refused: ${[...refused.keys()].join(", ")}` : `the configuration is refused: ${firstProblem ?? "see the service's log"}`;
        writes.push(this.status.setCondition(kind, resource, { status: "Unknown", reason: "Pending", message: `not in force yet: ${why}` }));
      }
    }
    await Promise.all(writes);
  }
}

/** What the configuration depends on: every spec (and name) and every Secret's data. */
function fingerprint(snapshot: ResourceSnapshot): string {
  const specs = CONFIG_KINDS.map((kind) =>
    snapshot[kind].map((r) => [r.metadata.name, r.metadata.generation, r.spec]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
  );
  const secrets = [...snapshot.secrets.values()].map((s) => [s.metadata.name, s.data]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
  return JSON.stringify([specs, secrets]);
}
