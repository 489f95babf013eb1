// `npm run esdb:stand-in`: the stand-in in its own process, black-box: its first line, a client through it, SIGTERM.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { ServerFeaturesClient } from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { expect, it } from 'vitest';
import { connectionOf, spawnStandIn } from '../support/esdbStandIn/process.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function roundTrip(connectionString: string): Promise<{ ids: string[]; written: string }> {
  const client = EventStoreDBClient.connectionString(connectionString);
  try {
    const stream = `black-box-${randomUUID()}`;
    const event = jsonEvent({ type: 'Noted', data: { n: 1 } });
    await client.appendToStream(stream, event);
    const ids: string[] = [];
    for await (const resolved of client.readStream(stream)) ids.push(resolved.event!.id);
    return { ids, written: event.id };
  } finally {
    await client.dispose();
  }
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });

it('npm run esdb:stand-in -- --port N prints its connection string first, serves the client, and ends on SIGTERM', async () => {
  const port = await freePort();
  const npm = spawn('npm', ['run', '--silent', 'esdb:stand-in', '--', '--port', String(port)], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const standIn = await connectionOf(npm);

  const { ids, written } = await roundTrip(standIn.connectionString);
  // npm passes SIGTERM on to the script, then ends by the same signal itself (so no exit code of its own).
  await standIn.kill('SIGTERM');

  expect(standIn.connectionString).toBe(`esdb://127.0.0.1:${port}?tls=false`);
  expect(ids).toEqual([written]);
  expect(await refused(port)).toBe(true);
});

it('takes the mode flags: with --no-server-features it has no ServerFeatures, and the client still appends (through Append)', async () => {
  const standIn = await spawnStandIn(['--no-server-features']);
  const features = new ServerFeaturesClient(standIn.connectionString.replace(/^esdb:\/\/|\?.*$/g, ''), credentials.createInsecure());
  try {
    const asked = await new Promise<ServiceError | null>((resolve) =>
      features.getSupportedMethods(new sharedPb.Empty(), (error) => resolve(error)),
    );
    const { ids, written } = await roundTrip(standIn.connectionString);
    expect(asked?.code).toBe(status.UNIMPLEMENTED);
    expect(ids).toEqual([written]);
  } finally {
    features.close();
    expect(await standIn.kill('SIGTERM')).toBe(0);
  }
});
