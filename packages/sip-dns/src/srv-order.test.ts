import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { weightedOrder } from "./srv-order.js";

describe("weightedOrder (RFC 2782 priority and weight)", () => {
  const items = [
    { name: "c", priority: 2, weight: 1 },
    { name: "a", priority: 1, weight: 1 },
    { name: "b", priority: 1, weight: 3 },
    { name: "z", priority: 1, weight: 0 },
  ];
  const names = (random: () => number) => weightedOrder(items, random).map((i) => i.name);

  it("orders by priority, lowest first, and draws among equals in proportion to weight", () => {
    // Weights 1 and 3 of a total 4: r in [0, 1) picks a, r in [1, 4) picks b.
    assert.deepEqual(names(() => 0), ["a", "b", "z", "c"]);
    assert.deepEqual(names(() => 0.24), ["a", "b", "z", "c"]);
    assert.deepEqual(names(() => 0.25), ["b", "a", "z", "c"]);
    assert.deepEqual(names(() => 0.99), ["b", "a", "z", "c"]);
  });

  it("draws once per remaining item, so the second pick follows the second random number", () => {
    const draws = [0.5, 0.5, 0.5];
    const order = weightedOrder(
      [
        { name: "x", priority: 1, weight: 2 },
        { name: "y", priority: 1, weight: 2 },
        { name: "w", priority: 1, weight: 4 },
      ],
      () => draws.shift() ?? 0,
    ).map((i) => i.name);
    // 0.5 * 8 = 4: x (2), y (4) not > 4, w (8) > 4 -> w; then 0.5 * 4 = 2: x (2) not > 2, y -> y; then x.
    assert.deepEqual(order, ["w", "y", "x"]);
  });
});
