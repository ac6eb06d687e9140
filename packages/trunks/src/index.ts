export type * from "./types.js";
export { e164PrefixProblem, e164Problem, isE164 } from "./e164.js";
export { destinationAllowed, normalizeNumber, stripSeparators } from "./dial-plan.js";
export { type NumberOwnership, longestPrefixRoute, numberOwner } from "./lookups.js";
export { type SubnetParse, parseSubnet, trunkForSource } from "./subnet.js";
