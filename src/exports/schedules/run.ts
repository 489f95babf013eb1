// One run of a scheduled export: the csv and its manifest written atomically, then the oldest runs beyond `keep` removed.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { publicMessage } from '../../domain/publicMessage.js';
import { writeCsvFile, writeTextFile } from '../file.js';
import { prepareExport } from '../request.js';
import type { ExportSources } from '../sources.js';
import type { ExportCheckpoints } from './checkpoint.js';
import type { ExportSchedule } from './config.js';

/** What the `.json` beside each file says. */
export interface ExportManifest {
  readonly rows: number;
  readonly position: string;
  readonly sha256: string;
  readonly startedAt: string;
  readonly durationMs: number;
  /**
   * The ledger's signed checkpoint of the journal up to `position`: what ties the file to events an auditor can hold
   * the ledger to later. Absent when the scheduler was given no signer.
   */
  readonly checkpoint?: string;
}

export type RunResult =
  | ({ readonly status: 'ok'; readonly file: string; readonly finishedAt: string } & Omit<ExportManifest, 'checkpoint'>)
  | {
      readonly status: 'failed';
      readonly file: null;
      readonly startedAt: string;
      readonly finishedAt: string;
      readonly durationMs: number;
      readonly error: string;
    };

/** 2026-11-25T06:00:00.123Z -> 20261125T060000Z: sorts as it reads, and is safe in a file name everywhere. */
export function utcStamp(instant: Date): string {
  return instant
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Files of this schedule's runs: `{name}-{stamp}-{position}.csv`; another schedule's files never match, even with a longer name. */
function runFilePattern(name: string): RegExp {
  return new RegExp(`^${escapeRegExp(name)}-(\\d{8}T\\d{6}Z)-(\\d+(?:-\\d+)?)\\.csv$`);
}

/** Removes the oldest runs (csv and manifest together) beyond `keep`; returns the base names removed. */
export async function applyRetention(schedule: Pick<ExportSchedule, 'name' | 'directory' | 'keep'>): Promise<string[]> {
  const pattern = runFilePattern(schedule.name);
  const runs = (await readdir(schedule.directory))
    .map((file) => ({ file, match: pattern.exec(file) }))
    .filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
    // By time, then by position for two runs within one second.
    .sort(
      (a, b) =>
        (a.match[1] as string).localeCompare(b.match[1] as string) ||
        Number(BigInt((a.match[2] as string).split('-')[0] as string) - BigInt((b.match[2] as string).split('-')[0] as string)),
    );
  const expired = runs.slice(0, Math.max(0, runs.length - schedule.keep));
  for (const { file } of expired) {
    const base = file.slice(0, -'.csv'.length);
    // The manifest first: a csv without one is plainly incomplete, a manifest without its csv would look like a lost file.
    await rm(join(schedule.directory, `${base}.json`), { force: true });
    await rm(join(schedule.directory, file), { force: true });
  }
  return expired.map(({ file }) => file.slice(0, -'.csv'.length));
}

/**
 * Writes one run. The csv goes through a temp file and is renamed only once complete and fsynced; the manifest follows
 * the same way, and if it cannot be written the csv is removed again, so a run leaves a complete pair or nothing.
 * A failure is returned in words fit for a client; `onFailure` receives the error itself, for the log.
 */
export async function runScheduledExport(
  schedule: ExportSchedule,
  sources: ExportSources,
  clock: () => Date = () => new Date(),
  onFailure: (error: unknown) => void = () => undefined,
  checkpoints?: ExportCheckpoints,
): Promise<RunResult> {
  const started = clock();
  const startedMs = performance.now();
  const startedAt = started.toISOString();
  let written: string | undefined;
  try {
    const csv = await prepareExport(sources, schedule.spec.request);
    await mkdir(schedule.directory, { recursive: true, mode: 0o700 });
    const base = `${schedule.name}-${utcStamp(started)}-${csv.position}`;
    const file = `${base}.csv`;
    const { rows, sha256 } = await writeCsvFile(csv, join(schedule.directory, file), { bom: schedule.spec.bom });
    written = join(schedule.directory, file);
    const checkpoint = checkpoints === undefined ? undefined : await checkpoints(csv.position);
    const summary = { rows, position: csv.position, sha256, startedAt, durationMs: Math.round(performance.now() - startedMs) };
    const manifest: ExportManifest = checkpoint === undefined ? summary : { ...summary, checkpoint };
    await writeTextFile(join(schedule.directory, `${base}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
    // The run's record (GET /exports/schedules) keeps to the summary: the note is in the manifest beside the file.
    return { status: 'ok', file, ...summary, finishedAt: clock().toISOString() };
  } catch (error) {
    if (written !== undefined) await rm(written, { force: true });
    onFailure(error);
    return {
      status: 'failed',
      file: null,
      startedAt,
      finishedAt: clock().toISOString(),
      durationMs: Math.round(performance.now() - startedMs),
      // GET /exports/schedules shows this: no server path in it (the log gets the whole error through onFailure).
      error: publicMessage(error),
    };
  }
}
