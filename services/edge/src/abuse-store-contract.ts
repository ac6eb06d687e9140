import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AbuseStore } from "./abuse-store.js";

/** What every AbuseStore does; run against the memory and the Redis implementation. */
export function abuseStoreContract(name: string, make: () => Promise<{ store: AbuseStore; cleanup: () => Promise<void> }>): void {
  describe(`AbuseStore contract: ${name}`, () => {
    const use = async (fn: (s: AbuseStore) => Promise<void>): Promise<void> => {
      const { store, cleanup } = await make();
      try {
        await fn(store);
      } finally {
        await cleanup();
      }
    };
    // Windows and sources unique per test: the Redis server is shared across tests.
    const unique = (): number => Math.floor(Math.random() * 1e9);

    it("adds the counts of several edges for one window and returns the totals", () =>
      use(async (s) => {
        const w = unique();
        assert.deepEqual(await s.addRequests(w, new Map([["192.0.2.1", 3], ["192.0.2.2", 1]]), 5000), new Map([["192.0.2.1", 3], ["192.0.2.2", 1]]));
        // Another edge adds its own: the totals are the sum.
        assert.deepEqual(await s.addRequests(w, new Map([["192.0.2.1", 4]]), 5000), new Map([["192.0.2.1", 7]]));
        // Another window starts from zero.
        assert.deepEqual(await s.addRequests(w + 1, new Map([["192.0.2.1", 2]]), 5000), new Map([["192.0.2.1", 2]]));
        assert.deepEqual(await s.addRequests(w, new Map(), 5000), new Map());
      }));

    it("forgets a window after its time to live", () =>
      use(async (s) => {
        const w = unique();
        await s.addRequests(w, new Map([["192.0.2.9", 5]]), 100);
        await new Promise((r) => setTimeout(r, 400));
        assert.deepEqual(await s.addRequests(w, new Map([["192.0.2.9", 1]]), 100), new Map([["192.0.2.9", 1]]));
      }));

    it("counts failures per source within the window that began with the first", () =>
      use(async (s) => {
        const a = `198.51.100.${unique() % 250}-${unique()}`;
        const b = `${a}-other`;
        assert.equal(await s.addAuthFailure(a, 60_000), 1);
        assert.equal(await s.addAuthFailure(a, 60_000), 2);
        assert.equal(await s.addAuthFailure(b, 60_000), 1);
        assert.equal(await s.addAuthFailure(a, 60_000), 3);
        const c = `${a}-short`;
        assert.equal(await s.addAuthFailure(c, 100), 1);
        await new Promise((r) => setTimeout(r, 400));
        assert.equal(await s.addAuthFailure(c, 100), 1, "the window ended: counting starts again");
      }));

    it("keeps bans until they end, the later end winning", () =>
      use(async (s) => {
        const now = Date.now();
        const src = `203.0.113.${unique()}`;
        const gone = `${src}-gone`;
        await s.ban(src, now + 60_000);
        await s.ban(src, now + 30_000);
        await s.ban(gone, now - 1);
        const bans = await s.bans(now);
        assert.equal(bans.get(src), now + 60_000);
        assert.equal(bans.has(gone), false);
        assert.equal((await s.bans(now + 60_000)).has(src), false, "ended at its end");
      }));
  });
}
