// `npm run openapi`: writes openapi.yaml at the repository root from the code (a test fails when the two differ).
import { writeFileSync } from 'node:fs';
import { renderOpenApi } from '../src/cli/openapi.js';

const target = new URL('../openapi.yaml', import.meta.url);
writeFileSync(target, await renderOpenApi());
process.stdout.write(`wrote ${target.pathname}\n`);
