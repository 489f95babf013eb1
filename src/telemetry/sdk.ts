// The OpenTelemetry SDK: registered only when tracing is configured (tracing.ts imports this module then, and only then).
import { readFileSync } from 'node:fs';
import { context, diag, DiagLogLevel, propagation, trace, type DiagLogFunction } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { TracingConfig } from '../config.js';

export interface Tracing {
  /** Sends the spans still queued and stops the exporter; for the end of a graceful shutdown. */
  shutdown(): Promise<void>;
}

/** Read at run time, as the OpenAPI document does: the same from src/ (tsx) and dist/ (node), two levels below the root. */
function serviceVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The SDK's own complaints (a collector that refuses or cannot be reached) go to the service's log as warnings. */
function diagnosticsTo(logger: Logger): void {
  const warn: DiagLogFunction = (message, ...args) =>
    logger.warn({ component: 'opentelemetry', details: args.length > 0 ? args.map(String) : undefined }, message);
  const ignore: DiagLogFunction = () => undefined;
  diag.setLogger(
    { error: warn, warn, info: ignore, debug: ignore, verbose: ignore },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

/**
 * Registers the SDK with the API: async-local-storage context (so a span started in a handler is the parent of what it
 * awaits), W3C trace-context and baggage propagation, and a batch of spans sent over OTLP/HTTP (JSON). The exporter
 * reads its endpoint, headers, timeout and compression from the standard OTEL_EXPORTER_OTLP_* variables itself.
 */
export function registerTracing(config: TracingConfig, logger: Logger): Tracing {
  diagnosticsTo(logger);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  // OTEL_RESOURCE_ATTRIBUTES first, then the service's own name and version over them.
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: serviceVersion() }));
  const provider = new TracerProvider({ resource, spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })] });
  trace.setGlobalTracerProvider(provider);
  // Without any user:password the URL may carry: credentials belong in OTEL_EXPORTER_OTLP_HEADERS, and never in the log.
  const { origin, pathname } = new URL(config.endpoint);
  logger.info(
    { endpoint: `${origin}${pathname}`, serviceName: config.serviceName },
    'tracing on: spans go to this OpenTelemetry collector over OTLP/HTTP',
  );
  return {
    async shutdown() {
      // A collector that is down costs at most the exporter's timeout (OTEL_EXPORTER_OTLP_TIMEOUT), never a failed exit.
      try {
        await provider.shutdown();
      } catch (error) {
        logger.warn({ err: error }, 'tracing: the last spans could not be sent to the collector');
      }
    },
  };
}
