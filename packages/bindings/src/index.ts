export type { TransportName, HostPort, Flow, Binding, BindingChange, NonceUse, SaveBindings, SaveResult, AorBindings, ListPage } from "./binding.js";
export type { BindingStore } from "./binding-store.js";
