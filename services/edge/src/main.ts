// The edge process's entry point, what a container runs: tracing first when OTEL_* asks for it
// (before ioredis and grpc-js load, so their instrumentations can hook them), then the service.
import { launchService } from "@sipfleet/telemetry";

await launchService("sipfleet-edge", () => import("./service-main.js"));
