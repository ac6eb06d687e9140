/**
 * The contract every CallSlotStore passes (`@sipfleet/bindings/testing`): limits per key, all or
 * nothing across keys, the same attempt asked again, release by Call-ID and CSeq, expiry in real
 * time, and concurrent acquires never exceeding a limit.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { AcquireCallSlots, CallSlotClaim, CallSlotStore } from "./call-slots.js";

export interface CallSlotsUnderTest {
  readonly slots: CallSlotStore;
  cleanup(): Promise<void>;
}

const HOUR = 3_600_000;

function acquire(callId: string, claims: CallSlotClaim[], extra: Partial<AcquireCallSlots> = {}): AcquireCallSlots {
  return { callId, inviteCseq: 1, claims, ttlMs: HOUR, ...extra };
}

export function callSlotsContract(name: string, make: () => Promise<CallSlotsUnderTest>): void {
  describe(`CallSlotStore contract: ${name}`, () => {
    const run = (title: string, body: (slots: CallSlotStore, key: (s: string) => string) => Promise<void>) =>
      it(title, async () => {
        const { slots, cleanup } = await make();
        // Keys and Call-IDs unique per test, so that a shared Redis holds nothing of another test.
        const prefix = randomUUID();
        try {
          await body(slots, (s) => `${s}:${prefix}`);
        } finally {
          await cleanup();
        }
      });

    run("refuses a call beyond the limit of a key and names the key", async (slots, key) => {
      const alice = key("user:alice");
      assert.deepEqual(await slots.acquireCallSlots(acquire(key("c1"), [{ key: alice, limit: 2 }])), { acquired: true });
      assert.deepEqual(await slots.acquireCallSlots(acquire(key("c2"), [{ key: alice, limit: 2 }])), { acquired: true });
      assert.deepEqual(await slots.acquireCallSlots(acquire(key("c3"), [{ key: alice, limit: 2 }])), { acquired: false, fullKey: alice });
    });

    run("takes all claims or none", async (slots, key) => {
      const alice = key("user:alice");
      const trunk = key("trunk:t");
      assert.equal((await slots.acquireCallSlots(acquire(key("c1"), [{ key: trunk, limit: 1 }]))).acquired, true);
      const refused = await slots.acquireCallSlots(acquire(key("c2"), [{ key: alice, limit: 1 }, { key: trunk, limit: 1 }]));
      assert.deepEqual(refused, { acquired: false, fullKey: trunk });
      // alice's slot was not kept by the refused attempt.
      assert.equal((await slots.acquireCallSlots(acquire(key("c3"), [{ key: alice, limit: 1 }]))).acquired, true);
    });

    run("the same attempt asked again keeps its slot, a new one is counted", async (slots, key) => {
      const alice = key("user:alice");
      assert.equal((await slots.acquireCallSlots(acquire(key("c1"), [{ key: alice, limit: 1 }]))).acquired, true);
      assert.equal((await slots.acquireCallSlots(acquire(key("c1"), [{ key: alice, limit: 1 }]))).acquired, true);
      assert.equal((await slots.acquireCallSlots(acquire(key("c1"), [{ key: alice, limit: 1 }], { inviteCseq: 2 }))).acquired, false);
    });

    run("release frees every key of the call; a second release frees nothing", async (slots, key) => {
      const alice = key("user:alice");
      const trunk = key("trunk:t");
      assert.equal((await slots.acquireCallSlots(acquire(key("c1"), [{ key: alice, limit: 1 }, { key: trunk, limit: 1 }]))).acquired, true);
      assert.equal(await slots.releaseCallSlots(key("c1"), 0), 2);
      assert.equal(await slots.releaseCallSlots(key("c1"), 0), 0);
      assert.equal((await slots.acquireCallSlots(acquire(key("c2"), [{ key: alice, limit: 1 }, { key: trunk, limit: 1 }]))).acquired, true);
    });

    run("release up to a CSeq leaves later attempts of the same Call-ID", async (slots, key) => {
      const alice = key("user:alice");
      assert.equal((await slots.acquireCallSlots(acquire(key("c1"), [{ key: alice, limit: 5 }], { inviteCseq: 1 }))).acquired, true);
      assert.equal((await slots.acquireCallSlots(acquire(key("c1"), [{ key: alice, limit: 5 }], { inviteCseq: 2 }))).acquired, true);
      assert.equal(await slots.releaseCallSlots(key("c1"), 1), 1);
      assert.equal((await slots.acquireCallSlots(acquire(key("c9"), [{ key: alice, limit: 2 }]))).acquired, true);
      assert.equal((await slots.acquireCallSlots(acquire(key("c10"), [{ key: alice, limit: 2 }]))).acquired, false);
      assert.equal(await slots.releaseCallSlots(key("c1"), 0), 1);
    });

    run("an expired slot no longer counts", async (slots, key) => {
      const alice = key("user:alice");
      assert.equal((await slots.acquireCallSlots(acquire(key("c1"), [{ key: alice, limit: 1 }], { ttlMs: 150 }))).acquired, true);
      assert.equal((await slots.acquireCallSlots(acquire(key("c2"), [{ key: alice, limit: 1 }]))).acquired, false);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal((await slots.acquireCallSlots(acquire(key("c2"), [{ key: alice, limit: 1 }]))).acquired, true);
    });

    run("concurrent acquires never exceed the limit", async (slots, key) => {
      const trunk = key("trunk:t");
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => slots.acquireCallSlots(acquire(key(`c${i}`), [{ key: trunk, limit: 3 }]))));
      assert.equal(results.filter((r) => r.acquired).length, 3);
    });

    run("a malformed request is refused", async (slots, key) => {
      await assert.rejects(slots.acquireCallSlots(acquire("", [{ key: key("user:a"), limit: 1 }])));
      await assert.rejects(slots.acquireCallSlots(acquire(key("c"), [{ key: key("user:a"), limit: 0 }])));
      await assert.rejects(slots.acquireCallSlots(acquire(key("c"), [])));
    });
  });
}
