export { platformBranch, readPlatformBranch, branchOwner, type PlatformBranch } from "./branch.js";
export { loopHash, isLooped } from "./loop-hash.js";
export { FlowTokens, type DecodedFlowToken } from "./flow-token.js";
