import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { createLogger } from "./logger.js";

function capture(): { lines: Record<string, unknown>[]; destination: Writable } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n")) if (l !== "") lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

describe("logger", () => {
  it("keeps each line's fields to that line", () => {
    const { lines, destination } = capture();
    const log = createLogger("test", { destination });
    log.info({ a: 1 }, "first");
    log.info({ b: 2 }, "second");
    assert.equal(lines[1]!["a"], undefined);
    assert.equal(lines[1]!["b"], 2);
    assert.equal(lines[0]!["trace_id"], undefined);
  });

  it("carries the active span's trace and span ids", () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      const { lines, destination } = capture();
      const log = createLogger("test", { destination });
      const span = trace.wrapSpanContext({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 });
      context.with(trace.setSpan(ROOT_CONTEXT, span), () => log.info({}, "inside"));
      log.info({}, "outside");
      assert.equal(lines[0]!["trace_id"], "0af7651916cd43dd8448eb211c80319c");
      assert.equal(lines[0]!["span_id"], "b7ad6b7169203331");
      assert.equal(lines[1]!["trace_id"], undefined);
    } finally {
      context.disable();
    }
  });
});
