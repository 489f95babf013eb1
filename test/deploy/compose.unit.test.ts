// No Docker engine runs here, so the deployment files are checked as what they are: YAML and a Dockerfile.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'));

  it('runs a pinned EventStoreDB single insecure node with a data volume and a healthcheck', () => {
    const eventstore = compose.services.eventstore;
    // The newest patch of the 24.10 line (a tag of kurrent-io/KurrentDB), from the registry its docs name.
    expect(eventstore.image).toMatch(/^docker\.eventstore\.com\/eventstore\/eventstoredb-ee:24\.10\.\d+$/);
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

  it('builds and runs on Node.js 24 LTS in every stage', () => {
    const stages = dockerfile.match(/^FROM \S+/gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toBe('FROM node:24-bookworm-slim');
  });
});

describe('package.json engines', () => {
  it('names the Node.js LTS lines in service, 22 and 24', () => {
    const engines = JSON.parse(read('package.json')).engines.node as string;
    expect(engines.split('||').map((range) => range.trim())).toEqual(['^22.12.0', '^24.0.0']);
  });
});

describe('.github/workflows/ci.yml', () => {
  const workflow = parse(read('.github/workflows/ci.yml'));

  it('runs .ci/run in a Debian container (its Chromium for the e2e tests), with no EventStoreDB connection string', () => {
    const job = workflow.jobs.checks;
    expect(job.container).toBe('node:${{ matrix.node }}-bookworm');
    expect(job.strategy.matrix.node).toEqual(['22', '24']);
    expect(job.steps.map((step: { run?: string }) => step.run).filter(Boolean)).toEqual(['bash .ci/run']);
    expect(JSON.stringify(job)).not.toContain('EVENTSTORE_CONNECTION_STRING');
    expect(workflow.env?.EVENTSTORE_CONNECTION_STRING).toBeUndefined();
  });

  it("runs the contract suite against real servers in a matrix: the compose file's 24.10 image and a KurrentDB LTS", () => {
    const job = workflow.jobs['real-server'];
    const images = job.strategy.matrix.server.map((server: { image: string }) => server.image);
    expect(images).toContain(parse(read('docker-compose.yml')).services.eventstore.image);
    expect(images.some((image: string) => /kurrent-lts\/kurrentdb:\d+\.\d+\.\d+$/.test(image))).toBe(true);
    expect(job.services.eventstore.image).toBe('${{ matrix.server.image }}');
    // The connection string is the one step's, not the job's.
    expect(job.env?.EVENTSTORE_CONNECTION_STRING).toBeUndefined();
    const suite = job.steps.find((step: { env?: Record<string, string> }) => step.env?.EVENTSTORE_CONNECTION_STRING !== undefined);
    expect(suite.env.EVENTSTORE_CONNECTION_STRING).toMatch(/^esdb:\/\/eventstore:2113/);
    expect(suite.run).toContain('test/store/eventStoreDb.int.test.ts');
  });
});

describe('docker-compose.cluster.yml', () => {
  // The file shares settings through YAML merge keys (<<), as Docker Compose reads them.
  const cluster = parse(read('docker-compose.cluster.yml'), { merge: true });

  it('runs three secure EventStoreDB nodes and three ledger replicas behind one load balancer', () => {
    const services = Object.entries<{ image?: string; environment?: Record<string, string> }>(cluster.services);
    const nodes = services.filter(([, service]) => service.image === parse(read('docker-compose.yml')).services.eventstore.image);
    expect(nodes).toHaveLength(3);
    for (const [, node] of nodes) expect(node.environment?.EVENTSTORE_CLUSTER_SIZE).toBe('3');
    const ledgers = services.filter(([, service]) => service.environment?.EVENT_STORE === 'eventstoredb');
    expect(ledgers).toHaveLength(3);
    for (const [, ledger] of ledgers) expect(ledger.environment?.EVENTSTORE_CONNECTION_STRING).toMatch(/^esdb\+discover:\/\/.*tls=true/);
    expect(services.filter(([, service]) => service.image?.startsWith('nginx:'))).toHaveLength(1);
  });

  it('gives the three replicas one audit signing key, on a volume they all mount, and a data directory each', () => {
    const ledgers = Object.values<{ environment?: Record<string, string>; volumes?: string[] }>(cluster.services).filter(
      (service) => service.environment?.EVENT_STORE === 'eventstoredb',
    );
    const keyFiles = new Set(ledgers.map((ledger) => ledger.environment?.AUDIT_SIGNING_KEY_FILE));
    expect([...keyFiles]).toEqual(['/audit/signing.key']);
    for (const ledger of ledgers) expect(ledger.volumes).toContain('ledger-audit:/audit');
    expect(new Set(ledgers.map((ledger) => ledger.volumes?.find((volume) => volume.endsWith(':/data')))).size).toBe(3);
    expect(Object.keys(cluster.volumes)).toContain('ledger-audit');
    // The image makes /audit the node user's, so the named volume starts out writable by it.
    expect(read('Dockerfile')).toMatch(/mkdir -p \/data \/audit && chown node:node \/data \/audit/);
  });
});
