// Spans of the ledger's own work through @opentelemetry/api alone: with no SDK registered (tracing off) each is the API's no-op.
import { isSpanContextValid, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/** The one tracer of the service; the API hands back a no-op until (and unless) an SDK is registered. */
export const tracer = trace.getTracer('funding-ledger');

/**
 * Runs `work` inside a span that is the active one for everything it awaits, so the spans it starts are its children.
 * What `work` throws is recorded on the span and marks it failed, then thrown on.
 */
export async function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => T | Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The trace id of the active span; undefined when there is none, as always while tracing is off. */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The attributes of a store's append span: which store, which stream, how many events, against which revision. */
export function appendAttributes(system: string, stream: string, events: number, expected: bigint | string): Attributes {
  return {
    'db.system.name': system,
    'db.operation.name': 'append',
    'ledger.stream': stream,
    'ledger.event_count': events,
    'ledger.expected_revision': String(expected),
  };
}
