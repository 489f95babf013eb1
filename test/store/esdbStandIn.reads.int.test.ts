// The stand-in's read side holds to EventStoreDB 24.10 (see the server files cited in test/support/esdbStandIn/), each
// behaviour observed through the real @eventstore/db-client: reads from a position that is not a record's, CaughtUp and
// the checkpoint that ends a catch-up, and the secure mode's access rules over TLS.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStoreDBClient } from '@eventstore/db-client';
import {
  AccessDeniedError,
  UnknownError,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type Position,
} from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StandIn, StandInOptions } from '../support/esdbStandIn/server.js';
import { certificateIn } from '../support/esdbStandIn/faults.js';
import { cleanups, connect, serve } from '../support/esdbStandIn/serve.js';
import { collect } from '../support/iterables.js';

const anEvent = () => jsonEvent({ id: randomUUID(), type: 'Noted', data: {} });

describe('reads of $all from a position (AllReader.cs, StorageReaderWorker.cs, the read enumerators)', () => {
  it("reads from an event's position, and reads nothing from past the end", async () => {
    const { client } = await serve();
    const written = await client.appendToStream(`pos-${randomUUID()}`, [anEvent(), anEvent()]);
    const end = written.position!.commit + 1_000_000n;

    const fromEvent = await collect(client.readAll({ fromPosition: written.position!, maxCount: 10 }));
    const pastEnd = await collect(client.readAll({ fromPosition: { commit: end, prepare: end }, maxCount: 10 }));

    expect(fromEvent.map((resolved) => resolved.event!.position)).toEqual([written.position]);
    expect(pastEnd).toEqual([]);
  });

  it('refuses a read from inside a record as 24.10 does: an unknown error naming InvalidPosition', async () => {
    const { client } = await serve();
    const written = await client.appendToStream(`pos-${randomUUID()}`, [anEvent(), anEvent()]);
    const inside = { commit: written.position!.commit + 1n, prepare: written.position!.prepare + 1n };

    const forwards = await collect(client.readAll({ fromPosition: inside })).catch((e: unknown) => e);
    const backwards = await collect(client.readAll({ fromPosition: inside, direction: 'backwards' })).catch((e: unknown) => e);

    for (const error of [forwards, backwards]) {
      expect(error).toBeInstanceOf(UnknownError);
      expect((error as Error).message).toContain('Unexpected ReadAllResult: InvalidPosition');
    }
  });

  it('refuses a subscription from inside a record with InvalidArgument "Trying to read from an invalid position."', async () => {
    const { client } = await serve();
    const written = await client.appendToStream(`pos-${randomUUID()}`, anEvent());
    const inside = { commit: written.position!.commit + 1n, prepare: written.position!.prepare + 1n };
    const subscription = client.subscribeToAll({ fromPosition: inside, filter: streamNameFilter({ prefixes: ['pos-'] }) });
    cleanups.push(() => subscription.unsubscribe());

    const error = await new Promise<Error & { code?: number }>((resolve) => subscription.on('error', resolve));

    expect(error.message).toContain('Trying to read from an invalid position.');
    expect((error as unknown as { error?: { code?: number } }).error?.code ?? error.code).toBe(3);
  });
});

describe('CaughtUp and the checkpoint ending a catch-up (Enumerator.AllSubscriptionFiltered.cs, from 24.2)', () => {
  /** What a subscription reports, in the order the client reports it. */
  function trace(client: EventStoreDBClient, prefix: string, fromPosition: Position | 'start' = 'start') {
    const seen: string[] = [];
    const subscription = client.subscribeToAll({
      fromPosition,
      filter: streamNameFilter({ prefixes: [prefix], checkpointReached: (_, position) => void seen.push(`checkpoint ${position.commit}`) }),
    });
    subscription.on('data', (resolved: AllStreamResolvedEvent) => seen.push(`event ${resolved.event!.position.commit}`));
    subscription.on('caughtUp', () => seen.push('caught-up'));
    cleanups.push(() => subscription.unsubscribe());
    return seen;
  }

  it('ends a catch-up with a checkpoint at the last event sent, then CaughtUp, then goes live', async () => {
    const { client } = await serve();
    const prefix = `caught-${randomUUID()}-`;
    const first = await client.appendToStream(`${prefix}a`, [anEvent(), anEvent()]);
    await client.appendToStream(`other-${randomUUID()}`, anEvent());

    const seen = trace(client, prefix);
    await vi.waitFor(() => expect(seen).toContain('caught-up'));
    const live = await client.appendToStream(`${prefix}b`, anEvent());
    await vi.waitFor(() => expect(seen).toContain(`event ${live.position!.commit}`));

    expect(seen.filter((entry) => entry.startsWith('checkpoint'))).toEqual([`checkpoint ${first.position!.commit}`]);
    expect(seen.indexOf(`checkpoint ${first.position!.commit}`)).toBeLessThan(seen.indexOf('caught-up'));
    expect(seen.filter((entry) => entry.startsWith('event'))).toHaveLength(3);
  });

  it('goes live at once, with CaughtUp and no catch-up checkpoint, from the last event on', async () => {
    const { client } = await serve();
    const prefix = `live-${randomUUID()}-`;
    const last = await client.appendToStream(`${prefix}a`, anEvent());

    const seen = trace(client, prefix, last.position);
    await vi.waitFor(() => expect(seen).toContain('caught-up'));

    expect(seen).toEqual(['caught-up']);
  });

  it('sends neither when the stand-in plays a server before 24.2', async () => {
    const { client } = await serve({ caughtUpMessages: false });
    const prefix = `old-${randomUUID()}-`;
    await client.appendToStream(`${prefix}a`, anEvent());

    const seen = trace(client, prefix);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    const live = await client.appendToStream(`${prefix}b`, anEvent());
    await vi.waitFor(() => expect(seen).toContain(`event ${live.position!.commit}`));

    expect(seen.every((entry) => entry.startsWith('event'))).toBe(true);
  });
});

describe('secure mode: TLS, users and the default ACLs (LegacyStreamPermissionAssertion.cs, SystemSettings.cs)', () => {
  let directory: string;
  let secure: StandInOptions['secure'];
  beforeAll(() => {
    // A throwaway self-signed certificate for 127.0.0.1, made at test time; nothing of it is kept.
    directory = mkdtempSync(join(tmpdir(), 'esdb-stand-in-tls-'));
    secure = certificateIn(directory);
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const as = (standIn: StandIn, user?: string) =>
    connect(standIn.connectionString.replace('esdb://', user === undefined ? 'esdb://' : `esdb://${user}@`));

  it('refuses to read $all to a user outside $admins, and to anyone without credentials', async () => {
    const { standIn } = await serve({ secure });

    const ops = await collect(as(standIn, 'ops:changeit').readAll({ maxCount: 1 })).catch((e: unknown) => e);
    const anonymous = await collect(as(standIn).readAll({ maxCount: 1 })).catch((e: unknown) => e);
    const admin = await collect(as(standIn, 'admin:changeit').readAll({ maxCount: 1 }));

    expect(ops).toBeInstanceOf(AccessDeniedError);
    expect(anonymous).toBeInstanceOf(AccessDeniedError);
    expect(admin).toHaveLength(1);
  });

  it('lets any user write and read a user stream, but not a system stream; wrong credentials are refused', async () => {
    const { standIn } = await serve({ secure });
    const ops = as(standIn, 'ops:changeit');
    const stream = `secure-${randomUUID()}`;

    await ops.appendToStream(stream, anEvent());
    const read = await collect(ops.readStream(stream));
    const system = await ops.appendToStream(`$secret-${randomUUID()}`, anEvent()).catch((e: unknown) => e);
    const wrong = await collect(as(standIn, 'ops:wrong').readStream(stream)).catch((e: unknown) => e);

    expect(read).toHaveLength(1);
    expect(system).toBeInstanceOf(AccessDeniedError);
    expect(wrong).toBeInstanceOf(AccessDeniedError);
    expect(standIn.appendsServed.batchAppend).toBe(1);
  });
});
