// Where a `node --cpu-prof` profile spent its busy time (idle left out): self time by function and by module.
// Usage: tsx bench/profileSummary.ts <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface Share {
  readonly name: string;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly seconds: number;
  readonly functions: readonly Share[];
  readonly modules: readonly Share[];
}

/** A short name for a script: the package under node_modules, the repository-relative path, or node's own. */
function moduleOf(url: string): string {
  if (url === '') return '(native/vm)';
  if (url.startsWith('node:')) return url;
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (inPackage) return inPackage[1] as string;
  const repo = file.indexOf('/dist/') >= 0 ? file.slice(file.indexOf('/dist/') + 1) : path.basename(file);
  return repo;
}

function top(hits: Map<string, number>, total: number, count: number): Share[] {
  return [...hits]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, value]) => ({ name, percent: Math.round((value / total) * 1000) / 10 }));
}

export function summariseProfile(file: string, count = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    // Waiting is not work: percentages are of the time the process was busy.
    if (hits === 0 || functionName === '(idle)') continue;
    const where = moduleOf(url);
    const name = `${functionName || '(anonymous)'} ${where}${url === '' ? '' : `:${lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    byModule.set(where, (byModule.get(where) ?? 0) + hits);
    total += hits;
  }
  return {
    file,
    seconds: Math.round((profile.endTime - profile.startTime) / 1e5) / 10,
    functions: top(byFunction, total, count),
    modules: top(byModule, total, count),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const lines = (shares: readonly Share[]) => shares.map((s) => `  ${s.percent.toFixed(1).padStart(5)}%  ${s.name}`);
  return [
    `${summary.file} (${summary.seconds} s)`,
    ' self time by function:',
    ...lines(summary.functions),
    ' by module:',
    ...lines(summary.modules),
  ].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [file, count] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: tsx bench/profileSummary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatSummary(summariseProfile(file, count === undefined ? 15 : Number(count)))}\n`);
}
