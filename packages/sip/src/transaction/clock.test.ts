import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TransactionError } from "../errors.js";
import { systemClock, VirtualClock } from "./clock.js";
import { DEFAULT_TIMERS, deriveTimers, waitTime } from "./timers.js";

describe("VirtualClock", () => {
  it("fires due timers in due order, ties in the order they were set, with now() at the due time", () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    clock.setTimer(300, () => fired.push(`c@${clock.now()}`), undefined);
    clock.setTimer(100, () => fired.push(`a@${clock.now()}`), undefined);
    clock.setTimer(300, () => fired.push(`d@${clock.now()}`), undefined);
    clock.setTimer(200, () => fired.push(`b@${clock.now()}`), undefined);
    clock.advance(250);
    assert.deepEqual(fired, ["a@1100", "b@1200"]);
    assert.equal(clock.now(), 1250);
    clock.advance(50);
    assert.deepEqual(fired, ["a@1100", "b@1200", "c@1300", "d@1300"]);
    assert.equal(clock.pending, 0);
  });

  it("fires timers set by callbacks during the same advance", () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const tick = (ms: number): void => {
      fired.push(clock.now());
      if (ms < 800) clock.setTimer(ms * 2, () => tick(ms * 2), undefined);
    };
    clock.setTimer(100, () => tick(100), undefined);
    clock.setTimer(0, () => fired.push(-1), undefined);
    clock.advance(10_000);
    assert.deepEqual(fired, [-1, 100, 300, 700, 1500]);
  });

  it("does not fire cleared timers and reports the next due time", () => {
    const clock = new VirtualClock();
    let fired = 0;
    const h = clock.setTimer(10, () => fired++, undefined);
    clock.setTimer(20, () => fired++, undefined);
    assert.equal(clock.nextDue(), 10);
    clock.clearTimer(h);
    clock.clearTimer(h);
    assert.equal(clock.nextDue(), 20);
    clock.advance(100);
    assert.equal(fired, 1);
    assert.equal(clock.nextDue(), undefined);
  });

  it("passes the argument given when arming (no closure needed per timer)", () => {
    const clock = new VirtualClock();
    const got: string[] = [];
    const record = (who: string): void => {
      got.push(who);
    };
    clock.setTimer(5, record, "first");
    clock.setTimer(1, record, "second");
    clock.advance(10);
    assert.deepEqual(got, ["second", "first"]);
  });

  it("rejects negative or non-finite durations", () => {
    const clock = new VirtualClock();
    assert.throws(() => clock.setTimer(-1, () => {}, undefined), TransactionError);
    assert.throws(() => clock.advance(Number.NaN), TransactionError);
  });
});

describe("systemClock", () => {
  it("passes the argument to the callback", async () => {
    const got = await new Promise<string>((resolve) => systemClock.setTimer(1, resolve, "arg"));
    assert.equal(got, "arg");
  });

  it("arms and clears a timer without firing it", () => {
    let fired = false;
    const h = systemClock.setTimer(60_000, () => (fired = true), undefined);
    systemClock.clearTimer(h);
    assert.equal(fired, false);
    assert.equal(typeof systemClock.now(), "number");
  });
});

describe("deriveTimers", () => {
  it("derives RFC 3261 Table 4 and RFC 6026 timers from the defaults", () => {
    assert.deepEqual(
      { ...DEFAULT_TIMERS },
      {
        t1: 500,
        t2: 4000,
        t4: 5000,
        A: 500,
        B: 32_000,
        D: 32_000,
        E: 500,
        F: 32_000,
        G: 500,
        H: 32_000,
        I: 5000,
        J: 32_000,
        K: 5000,
        L: 32_000,
        M: 32_000,
      },
    );
    assert.ok(Object.isFrozen(DEFAULT_TIMERS));
  });

  it("scales with T1, keeping Timer D at least 32 s", () => {
    const fast = deriveTimers({ t1: 100, t2: 400, t4: 1000 });
    assert.equal(fast.B, 6400);
    assert.equal(fast.H, 6400);
    assert.equal(fast.D, 32_000);
    assert.equal(fast.I, 1000);
    const slow = deriveTimers({ t1: 1000 });
    assert.equal(slow.D, 64_000);
    assert.equal(slow.t2, 4000);
  });

  it("zeroes D, I, J and K on reliable transports only", () => {
    for (const t of ["D", "I", "J", "K"] as const) {
      assert.equal(waitTime(DEFAULT_TIMERS, t, true), 0);
      assert.equal(waitTime(DEFAULT_TIMERS, t, false), DEFAULT_TIMERS[t]);
    }
  });

  it("throws a TransactionError naming the bad value", () => {
    assert.throws(() => deriveTimers({ t1: 0 }), /t1 must be a positive number of milliseconds, got 0/);
    assert.throws(() => deriveTimers({ t1: -5 }), TransactionError);
    assert.throws(() => deriveTimers({ t1: Number.POSITIVE_INFINITY }), /t1/);
    assert.throws(() => deriveTimers({ t2: 100 }), /t2 must be a number of milliseconds >= t1 \(500\), got 100/);
    assert.throws(() => deriveTimers({ t2: Number.NaN }), /t2/);
    assert.throws(() => deriveTimers({ t4: 0 }), /t4 must be a positive number of milliseconds, got 0/);
    assert.throws(() => deriveTimers({ t1: "500" as unknown as number }), /t1/);
  });
});
