export type { TransportName, HostPort, AdvertisedAddress, Flow, Binding, BindingChange, NonceUse, UseNonce, UseNonceResult, SaveBindings, SaveResult, AorBindings, ListPage } from "./binding.js";
export type { BindingStore } from "./binding-store.js";
export { MemoryBindingStore, DEFAULT_MEMORY_BINDING_STORE_OPTIONS, type MemoryBindingStoreOptions, cseqRule, nonceAccepted } from "./memory-binding-store.js";
export { bindingKey, contactBindingKey, instanceBindingKey, uriBindingKey } from "./binding-key.js";
export { compareBindings, lastChangePerKey, saveProblem, useNonceProblem, InvalidSaveError } from "./save-rules.js";
export { type AddressOfRecord, addressOfRecord, userAddressOfRecord } from "./address-of-record.js";
export {
  type CallSlotClaim,
  type AcquireCallSlots,
  type AcquireCallSlotsResult,
  type CallSlotStore,
  MemoryCallSlots,
  DEFAULT_MEMORY_CALL_SLOTS_OPTIONS,
  type MemoryCallSlotsOptions,
  InvalidCallSlotsError,
  acquireCallSlotsProblem,
  attemptId,
  callSlotKey,
} from "./call-slots.js";
