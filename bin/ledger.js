#!/usr/bin/env node
// The `ledger` command; its code is compiled to dist/ by `npm ci` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('ledger: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}
await import(entry.href);
