import type { NumberAssignment, NumberRoute, Trunk } from "./types.js";

/** The route with the longest prefix `e164` starts with (`+`, the default, matches all), or undefined. */
export function longestPrefixRoute<R extends Pick<NumberRoute, "prefix">>(routes: readonly R[], e164: string): R | undefined {
  let best: R | undefined;
  for (const route of routes) {
    if (e164.startsWith(route.prefix) && (best === undefined || route.prefix.length > best.prefix.length)) {
      best = route;
    }
  }
  return best;
}

export interface NumberOwnership {
  readonly trunk: Trunk;
  readonly assignment: NumberAssignment;
}

/**
 * The trunk that delivers `e164` and the users it belongs to, or undefined. Blocks never overlap
 * (the configuration refuses that), so at most one matches.
 */
export function numberOwner(trunks: readonly Trunk[], e164: string): NumberOwnership | undefined {
  for (const trunk of trunks) {
    for (const assignment of trunk.numbers) {
      if (blockContains(assignment.block, e164)) return { trunk, assignment };
    }
  }
  return undefined;
}

/** Same length, then string order is numeric order: numbers of other lengths are other numbers. */
function blockContains(block: { readonly first: string; readonly last: string }, e164: string): boolean {
  return e164.length === block.first.length && e164 >= block.first && e164 <= block.last;
}
