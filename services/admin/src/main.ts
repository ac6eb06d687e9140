// The admin API process's entry point, what a container runs: tracing first when OTEL_* asks for
// it (before grpc-js loads, so its instrumentation can hook it), then the service.
import { launchService } from "@sipfleet/telemetry";

await launchService("sipfleet-admin", () => import("./service-main.js"));
