// The per-request logger: pino's child logger with the request id, made only when a line is actually written.
import type { FastifyBaseLogger, LogLevel } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

/** pino's default levels; a level not named here counts as enabled, so nothing is ever dropped by mistake. */
const LEVEL_VALUES: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

function writes(threshold: string, level: Exclude<LogLevel, 'silent'>): boolean {
  return (LEVEL_VALUES[threshold] ?? 0) <= (LEVEL_VALUES[level] as number);
}

/**
 * Fastify makes a child logger for every request; pino serialises its bindings when it does, which was 2% of a
 * cached read although, at warn, a successful request logs nothing. This one makes that child on the first line
 * written at an enabled level, and forwards everything to it from then on.
 */
class RequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  private write(level: Exclude<LogLevel, 'silent'>, args: unknown[]): void {
    if (this.made === undefined && !writes(this.level, level)) return;
    this.logger[level](...(args as Parameters<FastifyBaseLogger[typeof level]>));
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  debug(...args: unknown[]): void {
    this.write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.write('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

/** For Fastify's `childLoggerFactory` option. */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger, bindings, options);
}
