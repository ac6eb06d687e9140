// The wire contracts (generated from proto/ by `pnpm proto:generate`; never edited by hand).
export * from "./gen/sipfleet/sip/v1/envelope.js";
export * from "./gen/sipfleet/sip/v1/decision.js";
export * from "./gen/sipfleet/location/v1/location.js";
export * from "./gen/sipfleet/edge/v1/relay.js";
export * from "./gen/sipfleet/edge/v1/abuse.js";
export * from "./gen/sipfleet/calls/v1/call_event.js";
export * from "./subjects.js";
