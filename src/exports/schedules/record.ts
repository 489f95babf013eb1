// A schedule's record in the event store (`schedule-<name>`): which instance holds each slot, and each run's result.
import type { RecordedEvent } from '../../store/port.js';
import type { RunResult } from './run.js';

export const SCHEDULE_STREAM_PREFIX = 'schedule-';

export function scheduleStream(name: string): string {
  return `${SCHEDULE_STREAM_PREFIX}${name}`;
}

/** An instance takes (or renews) the lease on a slot: it alone runs it until `leaseUntil`, unless it records a result first. */
export interface ExportSlotClaimed {
  readonly type: 'ExportSlotClaimed';
  readonly data: { readonly slot: string; readonly instance: string; readonly leaseUntil: string };
}

type OkRun = Extract<RunResult, { status: 'ok' }>;
type FailedRun = Extract<RunResult, { status: 'failed' }>;

export interface ScheduledExportSucceeded {
  readonly type: 'ScheduledExportSucceeded';
  readonly data: { readonly slot: string; readonly instance: string } & Omit<OkRun, 'status'>;
}

export interface ScheduledExportFailed {
  readonly type: 'ScheduledExportFailed';
  readonly data: { readonly slot: string; readonly instance: string } & Omit<FailedRun, 'status' | 'file'>;
}

export type ScheduleEvent = ExportSlotClaimed | ScheduledExportSucceeded | ScheduledExportFailed;

export interface SlotRecord {
  readonly holder: string;
  readonly leaseUntil: string;
  readonly result: RunResult | undefined;
}

export interface ScheduleRecord {
  /** The stream's last event (its revision for the next append, its hash for the chain); undefined before any. */
  readonly last: RecordedEvent | undefined;
  /** The latest slots, by slot instant (ISO 8601, so they sort as text). */
  readonly slots: ReadonlyMap<string, SlotRecord>;
  /** The latest slot anyone claimed. */
  readonly latestSlot: string | undefined;
  /** The last result recorded, by any instance. */
  readonly lastRun: RunResult | null;
}

/** Slots remembered: enough for every slot whose lease may still matter. */
const SLOTS_KEPT = 32;

export function emptyRecord(): ScheduleRecord {
  return { last: undefined, slots: new Map(), latestSlot: undefined, lastRun: null };
}

function resultOf(event: ScheduledExportSucceeded | ScheduledExportFailed): RunResult {
  const { slot: _slot, instance: _instance, ...fields } = event.data;
  return event.type === 'ScheduledExportSucceeded'
    ? { status: 'ok', ...(fields as Omit<OkRun, 'status'>) }
    : { status: 'failed', file: null, ...(fields as Omit<FailedRun, 'status' | 'file'>) };
}

/** Folds one stored event in; events of other types (none today) are passed over. */
export function evolveRecord(record: ScheduleRecord, stored: RecordedEvent): ScheduleRecord {
  const event = { type: stored.type, data: stored.data } as ScheduleEvent;
  const slots = new Map(record.slots);
  let { latestSlot, lastRun } = record;
  const { slot } = event.data;
  const before = slots.get(slot);
  switch (event.type) {
    case 'ExportSlotClaimed':
      slots.set(slot, { holder: event.data.instance, leaseUntil: event.data.leaseUntil, result: before?.result });
      if (latestSlot === undefined || slot > latestSlot) latestSlot = slot;
      break;
    case 'ScheduledExportSucceeded':
    case 'ScheduledExportFailed':
      lastRun = resultOf(event);
      slots.set(slot, {
        holder: before?.holder ?? event.data.instance,
        leaseUntil: before?.leaseUntil ?? event.data.finishedAt,
        result: lastRun,
      });
      break;
    default:
      return { ...record, last: stored };
  }
  while (slots.size > SLOTS_KEPT) slots.delete([...slots.keys()].sort()[0]!);
  return { last: stored, slots, latestSlot, lastRun };
}
