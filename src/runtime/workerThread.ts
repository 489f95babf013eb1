// Starting a worker thread from a module of this package, compiled (dist/) or from its TypeScript source (tsx).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker from the compiled module `compiled` when it exists; from TypeScript sources (the tests, tsx), from
 * `source` through tsx, which is then installed as a development dependency. `workerData` reaches it either way.
 */
export function startModuleWorker(compiled: URL, source: URL, options: Pick<WorkerOptions, 'workerData'> = {}): Worker {
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, options);
  const tsxApi = pathToFileURL(
    join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs'),
  ).href;
  return new Worker(
    `import(${JSON.stringify(tsxApi)}).then(({ tsImport }) => tsImport(${JSON.stringify(source.href)}, ${JSON.stringify(source.href)}))`,
    { ...options, eval: true },
  );
}
