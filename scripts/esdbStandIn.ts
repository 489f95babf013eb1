// `npm run esdb:stand-in`: the test-only EventStoreDB stand-in in a process of its own, for manual and black-box tests.
// Prints its connection string as the first line on stdout, then serves until SIGTERM (or SIGINT). It is no substitute
// for a real server: see the header of test/support/esdbStandIn/server.ts for what it models and what it does not.
//
//   npm run esdb:stand-in -- [--port N] [--no-server-features] [--no-caught-up] [--max-append-size BYTES] [--print-counts]
//
// --port N                fixed port on 127.0.0.1 (default: a free one)
// --no-server-features    no ServerFeatures service: the client appends through Append instead of BatchAppend
// --no-caught-up          no CaughtUp and no end-of-catch-up checkpoint, as servers before 24.2
// --max-append-size N     MaxAppendSize in bytes (default 1048576, the server's)
// --print-counts          print the gRPC calls per RPC and the appends each write RPC served, as one JSON line on stdout,
//                         on SIGUSR2 and when it stops (the bench checks from them that BatchAppend served its writes)
import { parseArgs } from 'node:util';
import { startStandIn } from '../test/support/esdbStandIn/server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'no-server-features': { type: 'boolean', default: false },
    'no-caught-up': { type: 'boolean', default: false },
    'max-append-size': { type: 'string' },
    'print-counts': { type: 'boolean', default: false },
  },
  strict: true,
});

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`--${name} takes a whole number, not ${text}`);
  return value;
}

const standIn = await startStandIn({
  port: integer('port', values.port),
  serverFeatures: !values['no-server-features'],
  caughtUpMessages: !values['no-caught-up'],
  maxAppendSize: integer('max-append-size', values['max-append-size']),
});
process.stdout.write(`${standIn.connectionString}\n`);

const printCounts = (): void => {
  if (values['print-counts']) process.stdout.write(`${JSON.stringify({ calls: standIn.calls, appendsServed: standIn.appendsServed })}\n`);
};
if (values['print-counts']) process.on('SIGUSR2', printCounts);

const shutDown = (): void => {
  printCounts();
  void standIn.close().then(() => process.exit(0));
};
process.once('SIGTERM', shutDown);
process.once('SIGINT', shutDown);
// Orphaned (whatever started it is gone without passing the signal on): no stand-in outlives its test.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) shutDown();
}, 500).unref();
