// What one export is asked for, and turning that into rows at a known position.
import { assertNever } from '../commands/decider.js';
import { ValidationError } from '../domain/errors.js';
import type { Moment } from '../projections/runtime/asOf.js';
import { announcementsExport } from './announcements.js';
import type { CsvExport } from './csv.js';
import { eventsExport } from './events.js';
import { positionText, type ExportSources } from './sources.js';
import { totalsExport, type TotalsExportOptions } from './totals.js';

export type ExportRequest =
  | ({ readonly kind: 'totals'; readonly asOf?: Moment | undefined } & TotalsExportOptions)
  | { readonly kind: 'announcements' }
  | { readonly kind: 'events' };

/**
 * Fixes the position and validates what only the read models can (an unknown programme, an asOf beyond them) before
 * the first byte, so a refusal is an error answer rather than a broken file.
 */
export async function prepareExport(sources: ExportSources, request: ExportRequest): Promise<CsvExport> {
  switch (request.kind) {
    case 'totals':
      assertKnownProgramme(sources, request.filter.programme);
      return totalsExport(await sources.totalsAt(request.asOf), request);
    case 'announcements':
      return announcementsExport(await sources.announcementsAt());
    case 'events':
      return eventsExport(sources.store, await sources.eventsUpTo());
    default:
      return assertNever(request);
  }
}

/** What a HEAD answer needs: the kind and the position the file would reflect, without computing a row. */
export async function exportHead(sources: ExportSources, request: ExportRequest): Promise<Pick<CsvExport, 'kind' | 'position'>> {
  switch (request.kind) {
    case 'totals': {
      assertKnownProgramme(sources, request.filter.programme);
      const totals = await sources.totalsAt(request.asOf);
      totals.release?.();
      return { kind: 'totals', position: totals.position };
    }
    case 'announcements':
      return { kind: 'announcements', position: (await sources.announcementsAt()).position };
    case 'events':
      return { kind: 'events', position: positionText(await sources.eventsUpTo()) };
    default:
      return assertNever(request);
  }
}

/** A programme filter the ledger does not know is refused (400), as /totals refuses it, rather than answered empty. */
export function assertKnownProgramme(sources: Pick<ExportSources, 'hasProgramme'>, programme: string | undefined): void {
  if (programme !== undefined && !sources.hasProgramme(programme)) {
    throw new ValidationError(`no programme is registered with code "${programme}"`, [
      { field: 'programme', message: `unknown programme "${programme}"` },
    ]);
  }
}
