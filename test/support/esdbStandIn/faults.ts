// What the adapter's failure tests put between the client and the stand-in: a TLS certificate of their own, and a
// network path that can go silent.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { StandIn } from './server.js';

/** A self-signed certificate for 127.0.0.1, made by openssl for this test alone and removed after it. */
export function aCertificate(): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'esdb-tls-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return certificateIn(dir);
}

/** A self-signed certificate for 127.0.0.1 (and localhost), valid one day, written by openssl into `dir`. */
export function certificateIn(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'node.crt');
  const keyFile = join(dir, 'node.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

/**
 * A TCP proxy in front of the stand-in that can go silent: after freeze() it keeps every connection open but passes
 * no byte either way, as a server behind a dead network path does. New connections are held the same way.
 */
export async function aFreezableProxy(standIn: StandIn): Promise<{ connectionString: string; freeze(): void }> {
  const target = new URL(standIn.connectionString.replace('esdb://', 'http://'));
  let frozen = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => void (frozen || upstream.write(chunk)));
    upstream.on('data', (chunk) => void (frozen || client.write(chunk)));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { connectionString: `esdb://127.0.0.1:${port}?tls=false`, freeze: () => void (frozen = true) };
}
