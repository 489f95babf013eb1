// The README's configuration table gives the defaults the service runs with: for the numeric settings below, the
// default in the table is what loadConfig gives when the variable is not set.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The default column of a variable's row in the README's table (`| \`NAME\` | \`default\` | ...`). */
function readmeDefault(name: string): string | undefined {
  return new RegExp(`^\\| \`${name}\` \\| \`([^\`]*)\` \\|`, 'm').exec(README)?.[1];
}

const SETTINGS: [string, (config: Config) => number][] = [
  ['HISTORY_BASE_EVERY_EVENTS', (config) => config.historyBaseEveryEvents],
  ['SNAPSHOT_EVERY_EVENTS', (config) => config.snapshotEveryEvents],
  ['SHUTDOWN_TIMEOUT_MS', (config) => config.shutdownTimeoutMs],
  ['BODY_IDLE_TIMEOUT_MS', (config) => config.bodyIdleTimeoutMs],
  ['MAX_CONNECTIONS', (config) => config.maxConnections],
];

describe('the README configuration table', () => {
  it.each(SETTINGS)('gives the default of %s that the service runs with', (name, read) => {
    expect(readmeDefault(name)).toBe(String(read(loadConfig({}))));
  });
});
