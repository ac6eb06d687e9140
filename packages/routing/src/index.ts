export { platformBranch, readPlatformBranch, branchOwner, type PlatformBranch } from "./branch.js";
export { loopHash, isLooped } from "./loop-hash.js";
export { FlowTokens, type DecodedFlowToken } from "./flow-token.js";
export { ContactMasks, CONTACT_TOKEN_PARAM } from "./contact-mask.js";
