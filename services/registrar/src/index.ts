export { Registrar, type RegistrarOptions, type RegistrarLogger } from "./registrar.js";
export { type RegistrarSettings, SUPPORTED_OPTION_TAGS } from "./registrar-settings.js";
export { type RegistrarReply, toDecision } from "./reply.js";
export { serveRegistrar, answerEnvelope } from "./registrar-worker.js";
export { startRegistrar, type RegistrarService, type RegistrarServiceOptions } from "./start-registrar.js";
