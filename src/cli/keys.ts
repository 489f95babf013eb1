// `ledger keys`: create, list and revoke API keys in a data directory.
import type { Command } from 'commander';
import { KeyRing, SCOPES, type Scope } from '../auth/keys.js';

function parseScopes(text: string): Scope[] {
  const scopes = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new Error(`--scopes takes a comma-separated list of ${SCOPES.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
  }
  return scopes as Scope[];
}

export function registerKeysCommands(program: Command, dataDirOf: () => string): void {
  const keys = program.command('keys').description('manage API keys (only their SHA-256 is stored)');

  keys
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--name <name>', 'who holds the key; recorded as the actor of every event it writes')
    .requiredOption('--scopes <scopes>', `comma-separated: ${SCOPES.join(', ')}`)
    .action((options: { name: string; scopes: string }) => {
      const key = new KeyRing(dataDirOf()).create(options.name, parseScopes(options.scopes));
      process.stdout.write(`${key}\n`);
      process.stderr.write(`created key "${options.name}" (${options.scopes}); store it now: it cannot be shown again\n`);
    });

  keys
    .command('list')
    .description('list keys (names, scopes, dates; never the keys)')
    .action(() => {
      for (const record of new KeyRing(dataDirOf()).list()) {
        const state = record.revokedAt === undefined ? 'active' : `revoked ${record.revokedAt}`;
        process.stdout.write(`${record.name}\t${record.scopes.join(',')}\t${record.createdAt}\t${state}\n`);
      }
    });

  keys
    .command('revoke')
    .description('revoke a key by name')
    .requiredOption('--name <name>', 'the key to revoke')
    .action((options: { name: string }) => {
      if (!new KeyRing(dataDirOf()).revoke(options.name)) throw new Error(`no active key named "${options.name}"`);
      process.stderr.write(`revoked key "${options.name}"\n`);
    });
}
