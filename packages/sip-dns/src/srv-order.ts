/** Random number in [0, 1), as Math.random; injected so that tests choose the weighted order. */
export type Random = () => number;

/**
 * RFC 2782 ordering: lowest priority first; among equal priorities a weighted random order ("the
 * probability of selecting [a record] should be proportional to its weight"), drawn one at a time
 * from the records not yet chosen. Weight 0 is only chosen once no weighted record is left (RFC
 * 2782 gives them "a very small chance"; here none while others remain). Stable for equal keys
 * when every remaining weight is 0. Serves SRV records and configured gateways and trunks alike.
 */
export function weightedOrder<T extends { readonly priority: number; readonly weight: number }>(items: readonly T[], random: Random): T[] {
  const priorities = [...new Set(items.map((i) => i.priority))].sort((a, b) => a - b);
  const out: T[] = [];
  for (const p of priorities) {
    const left = items.filter((i) => i.priority === p);
    while (left.length > 0) {
      const total = left.reduce((s, i) => s + i.weight, 0);
      let index = 0;
      if (total > 0) {
        const r = random() * total;
        let sum = 0;
        index = left.findIndex((i) => (sum += i.weight) > r);
        // random() < 1 keeps r below total; a misbehaving source still picks something.
        if (index < 0) index = left.length - 1;
      }
      out.push(left.splice(index, 1)[0]!);
    }
  }
  return out;
}
