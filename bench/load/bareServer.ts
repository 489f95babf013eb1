// The baseline for reads: a bare Fastify server answering each given URL with a fixed JSON body, byte for byte what
// the ledger answered, so the difference is everything the ledger does per request. Prints {"port"} when listening.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

/** argv[2]: JSON { bodies: { [url]: file holding the body }, port? (0, any free one, by default) }. */
const { bodies, port = 0 } = JSON.parse(process.argv[2] ?? '{}') as { bodies: Record<string, string>; port?: number };
// Bodies as bytes, the cheapest form to send (no UTF-8 encoding per request), as the ledger keeps its cached answers.
const byUrl = new Map(Object.entries(bodies).map(([url, file]) => [url, readFileSync(file)]));
const paths = new Set([...byUrl.keys()].map((url) => new URL(url, 'http://x').pathname));

const app = Fastify({ logger: false });
for (const route of paths) {
  app.get(route, async (request, reply) => {
    const body = byUrl.get(request.url);
    if (body === undefined) return reply.code(404).send();
    return reply.type('application/json; charset=utf-8').send(body);
  });
}
await app.listen({ port, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
