import { BlockList, isIPv4, isIPv6 } from "node:net";
import type { Bus, BusSubscription } from "@sipfleet/bus";
import type { BanConfig, RateLimitConfig } from "@sipfleet/config";
import { EDGE_BANS_SUBJECT, SourceBanned } from "@sipfleet/proto";
import { trunkForSource, type Trunk } from "@sipfleet/trunks";
import type { TrunksView } from "./edge-directory.js";
import type { AbuseStore } from "./abuse-store.js";
import type { EdgeLogger } from "./logger.js";
import { sourceKey } from "./source-limit.js";

/** What the intake does with a request: take it in, answer it 503 (stateless), or drop it unanswered. */
export type AbuseVerdict = "pass" | "reject" | "drop";

export interface AbuseGuardOptions {
  readonly rateLimit: RateLimitConfig;
  readonly bans: BanConfig;
  /** Where the counts and bans of every edge meet; undefined: this edge's own counts only. */
  readonly store: AbuseStore | undefined;
  readonly bus: Bus;
  readonly edgeId: string;
  /** Their inbound allow-lists are never limited nor banned. */
  /** The trunks of the moment (edge-directory.ts): their sources are exempt. */
  readonly trunks: TrunksView;
  readonly logger: EdgeLogger;
  /** Wall clock, Unix ms: windows and ban ends are compared across edges. */
  readonly now: () => number;
}

/** Counts since the edge started. */
export interface AbuseStats {
  /** Requests over the rate limit answered 503. */
  rateRejected: number;
  /** Requests over the rate limit dropped unanswered (the 503 budget of their window spent, or ACKs). */
  rateDropped: number;
  /** Messages from banned sources dropped unanswered. */
  bannedDropped: number;
  /** Sources this edge banned. */
  bansIssued: number;
}

const WINDOW_MS = 1000;

interface SourceWindow {
  readonly window: number;
  /** A trunk's source (or edge.rateLimit.allow): not limited, not counted. */
  exempt: boolean;
  /** The trunks `exempt` was decided with. */
  exemptFor: readonly Trunk[];
  /** Requests this edge took from the source in the window. */
  seen: number;
  /** How many of them are already added to the store. */
  synced: number;
  /** Every edge's count as the store last said (this edge's synced ones included). */
  total: number;
  /** 503s sent in the window. */
  rejects: number;
  /** The once-per-window log line is written. */
  logged: boolean;
}

/**
 * Per-source abuse limits at intake (services/edge README "Abuse limits"):
 * - a rate limit counted locally and at once, in one-second windows, while every
 *   `syncIntervalMs` the local counts are added to the store and the totals of all edges read
 *   back (one round trip per interval, never one per request: the hot path stays in memory);
 * - bans: failed credentials (the workers' `Respond.credentials_failed`) are counted per source,
 *   here at once and in the store; at `failuresBeforeBan` the source is banned, the ban written to
 *   the store (an edge starting up loads it) and published on the bus (every edge drops the source
 *   at once).
 * The store failing leaves the limits local (fail open): the outage is logged once.
 */
export class AbuseGuard {
  readonly stats: AbuseStats = { rateRejected: 0, rateDropped: 0, bannedDropped: 0, bansIssued: 0 };
  private readonly windows = new Map<string, SourceWindow>();
  private readonly failures = new Map<string, { n: number; endsAt: number }>();
  private readonly banned = new Map<string, number>();
  private readonly allow = new BlockList();
  private timer: NodeJS.Timeout | undefined;
  private subscription: BusSubscription | undefined;
  private syncing = false;
  private storeDown = false;
  /** The bans in force were read from the store (retried at each sync until they are). */
  private bansLoaded = false;

  constructor(private readonly o: AbuseGuardOptions) {
    for (const s of o.rateLimit.allow) this.allow.addSubnet(s.address, s.prefix, s.family);
  }

  /** Loads the bans in force and listens for new ones: before the edge takes requests. */
  async start(): Promise<void> {
    const { store, bus, logger } = this.o;
    this.subscription = bus.subscribe(EDGE_BANS_SUBJECT, (msg) => this.onBanMessage(msg.data));
    if (store !== undefined) await this.loadBans(store, logger);
    // Without a store too: the sync is also what forgets the windows and failures that ended.
    this.timer = setInterval(() => void this.sync(), this.o.rateLimit.syncIntervalMs);
    this.timer.unref();
  }

  private async loadBans(store: AbuseStore, logger: EdgeLogger): Promise<void> {
    try {
      for (const [source, until] of await store.bans(this.o.now())) this.setBan(source, until);
      this.bansLoaded = true;
      this.storeUp();
      if (this.banned.size > 0) logger.info?.({ bans: this.banned.size }, "bans in force loaded");
    } catch (e) {
      this.storeFailed(e);
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.subscription?.unsubscribe();
  }

  /** True when everything from `ip` is to be dropped unread: it is banned. */
  isBanned(ip: string): boolean {
    if (this.banned.size === 0) return false;
    const source = sourceKey(ip);
    const until = this.banned.get(source);
    if (until === undefined) return false;
    if (until <= this.o.now()) {
      this.banned.delete(source);
      this.o.logger.info?.({ source }, "ban ended");
      return false;
    }
    this.stats.bannedDropped++;
    return true;
  }

  /**
   * Counts a request from `ip` and says what to do with it. Over the limit: 503 (never to an
   * ACK: RFC 3261 §17 answers none) while the window's reject budget lasts, then silence: a
   * flood is not answered packet for packet (the edge would reflect it).
   */
  checkRequest(ip: string, isAck: boolean): AbuseVerdict {
    const source = sourceKey(ip);
    const window = Math.floor(this.o.now() / WINDOW_MS);
    const trunks = this.o.trunks.current.trunks;
    let w = this.windows.get(source);
    if (w === undefined || w.window !== window) {
      w = { window, exempt: this.isExempt(ip), exemptFor: trunks, seen: 0, synced: 0, total: 0, rejects: 0, logged: false };
      this.windows.set(source, w);
    } else if (w.exemptFor !== trunks) {
      // The trunks changed within the window (a new configuration): a carrier added is exempt now.
      w.exempt = this.isExempt(ip);
      w.exemptFor = trunks;
    }
    w.seen++;
    if (w.exempt || w.total + w.seen - w.synced <= this.o.rateLimit.requestsPerSecond) return "pass";
    if (!w.logged) {
      w.logged = true;
      this.o.logger.warn(
        { source, seenHere: w.seen, total: w.total + w.seen - w.synced, limit: this.o.rateLimit.requestsPerSecond },
        "source over edge.rateLimit.requestsPerSecond: 503 then silence for the rest of the second",
      );
    }
    if (isAck || w.rejects >= this.o.rateLimit.rejectsPerSecond) {
      this.stats.rateDropped++;
      return "drop";
    }
    w.rejects++;
    this.stats.rateRejected++;
    return "reject";
  }

  /** A worker said the credentials a request from `ip` carried failed. */
  credentialsFailed(ip: string): void {
    const source = sourceKey(ip);
    if (this.isExempt(ip) || this.banned.has(source)) return;
    const { bans, store } = this.o;
    const now = this.o.now();
    let f = this.failures.get(source);
    if (f === undefined || f.endsAt <= now) {
      f = { n: 0, endsAt: now + bans.windowSeconds * 1000 };
      this.failures.set(source, f);
    }
    f.n++;
    // Counted here first, synchronously: the source's next request meets the ban on this edge
    // even if it comes before the store answers.
    if (f.n >= bans.failuresBeforeBan) return this.issueBan(source, f.n);
    if (store === undefined) return;
    store.addAuthFailure(source, bans.windowSeconds * 1000).then(
      (n) => {
        this.storeUp();
        if (n >= bans.failuresBeforeBan) this.issueBan(source, n);
      },
      (e: unknown) => this.storeFailed(e),
    );
  }

  private issueBan(source: string, failures: number): void {
    if (this.banned.has(source)) return;
    const until = this.o.now() + this.o.bans.banSeconds * 1000;
    this.setBan(source, until);
    this.failures.delete(source);
    this.stats.bansIssued++;
    this.o.logger.warn({ source, failures, banSeconds: this.o.bans.banSeconds }, "source banned after edge.bans.failuresBeforeBan failed authentications");
    this.o.store?.ban(source, until).then(() => this.storeUp(), (e: unknown) => this.storeFailed(e));
    this.o.bus.publish(EDGE_BANS_SUBJECT, SourceBanned.encode({ source, untilMs: until, edgeId: this.o.edgeId }).finish());
  }

  private onBanMessage(data: Uint8Array): void {
    let m: SourceBanned;
    try {
      m = SourceBanned.decode(data);
    } catch (e) {
      return this.o.logger.warn({ err: e }, "unreadable ban message ignored");
    }
    if (m.edgeId === this.o.edgeId || m.source === "") return;
    if (!this.banned.has(m.source)) this.o.logger.info?.({ source: m.source, by: m.edgeId }, "source banned by another edge");
    this.setBan(m.source, Number(m.untilMs));
  }

  private setBan(source: string, until: number): void {
    if (until > (this.banned.get(source) ?? 0)) this.banned.set(source, until);
  }

  private isExempt(ip: string): boolean {
    const mapped = /^::ffff:([0-9.]+)$/i.exec(ip)?.[1];
    const address = mapped !== undefined && isIPv4(mapped) ? mapped : ip;
    const family = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
    if (family !== undefined && this.allow.check(address, family)) return true;
    return trunkForSource(this.o.trunks.current.trunks, ip) !== undefined;
  }

  /**
   * Forgets ended windows and failure counts, then adds the counts of the current window to the
   * store and takes the totals back.
   */
  private async sync(): Promise<void> {
    if (this.syncing) return;
    const now = this.o.now();
    const window = Math.floor(now / WINDOW_MS);
    const deltas = new Map<string, number>();
    for (const [source, w] of this.windows) {
      if (w.window !== window) this.windows.delete(source);
      else if (!w.exempt && w.seen > w.synced) deltas.set(source, w.seen - w.synced);
    }
    for (const [source, f] of this.failures) if (f.endsAt <= now) this.failures.delete(source);
    for (const [source, until] of this.banned) if (until <= now) this.banned.delete(source);
    const store = this.o.store;
    if (store === undefined) return;
    if (!this.bansLoaded) {
      // The store was unreachable at start: the bans other edges hold are read once it is back.
      this.syncing = true;
      await this.loadBans(store, this.o.logger);
      this.syncing = false;
    }
    if (deltas.size === 0) return;
    this.syncing = true;
    try {
      const totals = await store.addRequests(window, deltas, 2 * WINDOW_MS + this.o.rateLimit.syncIntervalMs);
      this.storeUp();
      for (const [source, total] of totals) {
        const w = this.windows.get(source);
        if (w === undefined || w.window !== window) continue;
        w.synced += deltas.get(source) ?? 0;
        w.total = total;
      }
    } catch (e) {
      this.storeFailed(e);
    } finally {
      this.syncing = false;
    }
  }

  private storeFailed(err: unknown): void {
    if (this.storeDown) return;
    this.storeDown = true;
    // Fail open: calls go on; each edge still limits what it sees itself.
    this.o.logger.error({ err }, "abuse store unreachable: rate limits count this edge only and failures are not shared until it is back");
  }

  private storeUp(): void {
    if (!this.storeDown) return;
    this.storeDown = false;
    this.o.logger.info?.({}, "abuse store reachable again");
  }
}
