// `npm run build:web`: bundles the dashboard (web/) with esbuild into public/, which the service serves at / and /dashboard/.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = new URL('../', import.meta.url);
export const PUBLIC_DIR = fileURLToPath(new URL('public/', ROOT));

export interface WebBuild {
  readonly outdir: string;
  /** Bytes per file written, for the log line. */
  readonly files: Record<string, number>;
  readonly ms: number;
}

/** Everything the page needs, from npm packages and web/, with nothing loaded from elsewhere at run time. */
export async function buildWeb(outdir = PUBLIC_DIR): Promise<WebBuild> {
  const started = performance.now();
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await esbuild.build({
    // app.js and app.css: the names index.html links.
    entryPoints: [
      { in: fileURLToPath(new URL('web/src/main.ts', ROOT)), out: 'app' },
      { in: fileURLToPath(new URL('web/styles.css', ROOT)), out: 'app' },
    ],
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    legalComments: 'linked',
  });
  await copyFile(fileURLToPath(new URL('web/index.html', ROOT)), `${outdir}/index.html`);
  const files = Object.fromEntries(
    Object.entries(result.metafile.outputs).map(([file, output]) => [file.slice(file.lastIndexOf('/') + 1), output.bytes]),
  );
  return { outdir, files, ms: Math.round(performance.now() - started) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const build = await buildWeb();
  const sizes = Object.entries(build.files)
    .filter(([file]) => !file.endsWith('.map'))
    .map(([file, bytes]) => `${file} ${(bytes / 1024).toFixed(1)} KiB`)
    .join(', ');
  process.stdout.write(`built the dashboard into ${build.outdir} in ${build.ms} ms: ${sizes}\n`);
}
