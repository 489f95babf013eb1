// No Docker engine runs here, so the deployment files are checked as what they are: YAML and a Dockerfile.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'));

  it('runs a pinned EventStoreDB single insecure node with a data volume and a healthcheck', () => {
    const eventstore = compose.services.eventstore;
    expect(eventstore.image).toMatch(/^eventstore\/eventstore:\d+\.\d+\.\d+/);
    expect(eventstore.environment.EVENTSTORE_CLUSTER_SIZE).toBe('1');
    expect(eventstore.environment.EVENTSTORE_INSECURE).toBe('true');
    expect(eventstore.volumes.some((v: string) => v.endsWith(':/var/lib/eventstore'))).toBe(true);
    expect(eventstore.healthcheck.test.join(' ')).toContain('/health/live');
    expect(Object.keys(compose.volumes)).toContain('eventstore-data');
  });

  it('builds the ledger, waits for a healthy store and points the adapter at it on :3000', () => {
    const ledger = compose.services.ledger;
    expect(ledger.build).toBe('.');
    expect(ledger.depends_on.eventstore.condition).toBe('service_healthy');
    expect(ledger.environment.EVENT_STORE).toBe('eventstoredb');
    expect(ledger.environment.EVENTSTORE_CONNECTION_STRING).toBe('esdb://eventstore:2113?tls=false');
    expect(ledger.environment.HOST).toBe('0.0.0.0');
    expect(ledger.ports).toContain('3000:3000');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('is multi-stage, installs production dependencies only and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/server\.js"\]$/m);
  });
});

describe('.github/workflows/ci.yml', () => {
  const workflow = parse(read('.github/workflows/ci.yml'));

  it('runs the checks and the tests with a real EventStoreDB service container', () => {
    const job = workflow.jobs.test;
    expect(job.services.eventstore.image).toBe(parse(read('docker-compose.yml')).services.eventstore.image);
    expect(job.env.EVENTSTORE_CONNECTION_STRING).toMatch(/^esdb:\/\/localhost:2113/);
    const commands = job.steps.map((step: { run?: string }) => step.run).filter(Boolean);
    expect(commands).toEqual(['npm ci', 'npm run typecheck', 'npm run lint', 'npm run openapi:lint', 'npm test']);
  });
});
