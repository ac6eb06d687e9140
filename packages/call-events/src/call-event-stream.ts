import { CALL_EVENTS_STREAM, CALL_EVENTS_SUBJECT_PREFIX } from "@sipfleet/proto";
import { DiscardPolicy, nanos, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig, type StreamInfo } from "nats";
import { CallEventsError, errorMessage, jetStreamErrorCode } from "./errors.js";

/** The JetStream stream that keeps call events. */
export interface CallEventStreamOptions {
  stream: string;
  /**
   * Events go to `<prefix>.<kind>.<call>.<caller>` (kind: attempted|answered|ended; see
   * callEventSubject); the stream captures `<prefix>.>`.
   */
  subjectPrefix: string;
  /** Events older than this are deleted by the server. */
  maxAgeMs: number;
  /** The oldest events are deleted beyond this size; -1 for no limit. */
  maxBytes: number;
  storage: "file" | "memory";
  /**
   * How long the server remembers an event id (Nats-Msg-Id) to store a re-publish once. A
   * publisher must not retry an event past it.
   */
  duplicateWindowMs: number;
  /** Copies kept in a JetStream cluster (1 on a single server). */
  replicas: number;
}

export const DEFAULT_CALL_EVENT_STREAM_OPTIONS: CallEventStreamOptions = {
  stream: CALL_EVENTS_STREAM,
  subjectPrefix: CALL_EVENTS_SUBJECT_PREFIX,
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
  maxBytes: 1024 * 1024 * 1024,
  storage: "file",
  duplicateWindowMs: 2 * 60 * 1000,
  replicas: 1,
};

/** The settings the stream is created with; the ones after `name` and `storage` are also kept up to date. */
export function callEventStreamConfig(o: CallEventStreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: o.stream,
    storage: o.storage === "memory" ? StorageType.Memory : StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    subjects: [`${o.subjectPrefix}.>`],
    max_age: nanos(o.maxAgeMs),
    max_bytes: o.maxBytes,
    duplicate_window: nanos(o.duplicateWindowMs),
    num_replicas: o.replicas,
  };
}

export type StreamSetup = "created" | "updated" | "unchanged";

/**
 * Makes the call-event stream exist with these settings: creates it, or updates the limits of an
 * existing one whose subjects, age, size, duplicate window or replicas differ (an operator's change
 * of settings takes effect at the next start). Storage cannot change on a live stream: a stream
 * with the other storage is refused rather than silently kept.
 */
export async function ensureCallEventStream(jsm: JetStreamManager, options: CallEventStreamOptions): Promise<{ setup: StreamSetup; info: StreamInfo }> {
  const wanted = callEventStreamConfig(options);
  let existing: StreamInfo | undefined;
  try {
    existing = await jsm.streams.info(wanted.name);
  } catch (err) {
    // 10059: stream not found.
    if (jetStreamErrorCode(err) !== 10059) throw new CallEventsError(`cannot read JetStream stream ${wanted.name}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    if (existing === undefined) return { setup: "created", info: await jsm.streams.add(wanted) };
    const c = existing.config;
    if (c.storage !== wanted.storage) {
      throw new CallEventsError(`JetStream stream ${wanted.name} exists with ${c.storage} storage, configured ${String(wanted.storage)}; storage cannot change on a live stream`);
    }
    const same =
      sameSubjects(c.subjects, wanted.subjects ?? []) &&
      c.max_age === wanted.max_age &&
      c.max_bytes === wanted.max_bytes &&
      c.duplicate_window === wanted.duplicate_window &&
      c.num_replicas === wanted.num_replicas;
    if (same) return { setup: "unchanged", info: existing };
    const { name: _name, storage: _storage, retention: _retention, ...limits } = wanted;
    // nats.js merges these into the stream's current config.
    return { setup: "updated", info: await jsm.streams.update(wanted.name, limits) };
  } catch (err) {
    if (err instanceof CallEventsError) throw err;
    throw new CallEventsError(`cannot set up JetStream stream ${wanted.name}: ${errorMessage(err)}`, { cause: err });
  }
}

function sameSubjects(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((s, i) => s === b[i]);
}
