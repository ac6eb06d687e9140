export type * from "./types.js";
export { e164PrefixProblem, e164Problem, isE164, isE164Prefix } from "./e164.js";
export { destinationAllowed, normalizeNumber, stripSeparators } from "./dial-plan.js";
export { type NumberOwnership, blockContains, longestPrefixRoute, numberOwner } from "./lookups.js";
export { type SubnetParse, parseSubnet, subnetsOverlap, trunkForSource } from "./subnet.js";
