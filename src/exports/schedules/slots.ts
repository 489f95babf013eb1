// Slots of one schedule shared by every instance: leases taken at the stream's expected revision, results recorded.
import { eventsToAppend, type CommandMetadata } from '../../commands/envelope.js';
import { WrongExpectedRevisionError, type EventStore } from '../../store/port.js';
import { emptyRecord, evolveRecord, scheduleStream, type ScheduleEvent, type ScheduleRecord } from './record.js';
import type { RunResult } from './run.js';

/** Why an instance does not run a slot. */
export type ClaimRefusal =
  /** Another instance holds a live lease on it. */
  | 'held'
  /** Its result is recorded already. */
  | 'done'
  /** A later slot has been claimed already: this one is past. */
  | 'past'
  /** The previous slot is still running on another instance (runs of one schedule never overlap). */
  | 'busy';

/** Appends lost to other instances before giving up on this attempt; each loss means someone else made progress. */
const ATTEMPTS = 8;

/**
 * One schedule's record, followed from its stream: read from where it was last read, so asking again is cheap.
 * Every change goes through the stream's expected revision: of two instances claiming one slot, one wins.
 */
export class ScheduleSlots {
  private record: ScheduleRecord = emptyRecord();
  private reading: Promise<ScheduleRecord> | undefined;
  readonly stream: string;

  constructor(
    private readonly store: EventStore,
    name: string,
    private readonly instance: string,
    private readonly clock: () => Date,
  ) {
    this.stream = scheduleStream(name);
  }

  /** The record with every event the store holds now; concurrent callers share one read. */
  async current(): Promise<ScheduleRecord> {
    this.reading ??= this.readNew().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readNew(): Promise<ScheduleRecord> {
    const from = this.record.last === undefined ? 0n : this.record.last.revision + 1n;
    let record = this.record;
    for await (const event of this.store.readStream(this.stream, { fromRevision: from })) record = evolveRecord(record, event);
    this.record = record;
    return record;
  }

  /** Takes the lease on `slot` for `leaseMs`, or says why not. A lease already this instance's is renewed. */
  async claim(slot: string, leaseMs: number): Promise<true | ClaimRefusal> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const record = await this.current();
      const now = this.clock().getTime();
      const latest = record.latestSlot === undefined ? undefined : record.slots.get(record.latestSlot);
      if (record.latestSlot !== undefined && record.latestSlot > slot) return 'past';
      if (latest !== undefined && latest.result === undefined && latest.holder !== this.instance && Date.parse(latest.leaseUntil) > now) {
        return record.latestSlot === slot ? 'held' : 'busy';
      }
      if (record.latestSlot === slot && latest?.result !== undefined) return 'done';
      const leaseUntil = new Date(now + leaseMs).toISOString();
      if (await this.append(record, { type: 'ExportSlotClaimed', data: { slot, instance: this.instance, leaseUntil } }, slot)) return true;
    }
    return 'held';
  }

  /** Extends this instance's lease on `slot`; false once another instance has taken the slot over. */
  async renew(slot: string, leaseMs: number): Promise<boolean> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const record = await this.current();
      if (record.slots.get(slot)?.holder !== this.instance) return false;
      const leaseUntil = new Date(this.clock().getTime() + leaseMs).toISOString();
      if (await this.append(record, { type: 'ExportSlotClaimed', data: { slot, instance: this.instance, leaseUntil } }, slot)) return true;
    }
    return false;
  }

  /** Records the run's result while this instance still holds the slot; false when another instance took it over. */
  async recordResult(slot: string, result: RunResult): Promise<boolean> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const record = await this.current();
      const held = record.slots.get(slot);
      if (held?.holder !== this.instance || held.result !== undefined) return false;
      const event: ScheduleEvent =
        result.status === 'ok'
          ? { type: 'ScheduledExportSucceeded', data: { slot, instance: this.instance, ...withoutStatus(result) } }
          : {
              type: 'ScheduledExportFailed',
              data: {
                slot,
                instance: this.instance,
                startedAt: result.startedAt,
                finishedAt: result.finishedAt,
                durationMs: result.durationMs,
                error: result.error,
              },
            };
      if (await this.append(record, event, slot)) return true;
    }
    return false;
  }

  /** Appends at the revision `record` was read at; false when another instance wrote first (read again and retry). */
  private async append(record: ScheduleRecord, event: ScheduleEvent, slot: string): Promise<boolean> {
    const metadata: CommandMetadata = {
      actor: 'scheduler',
      correlationId: `${this.stream}@${slot}`,
      causationId: this.instance,
      now: this.clock().toISOString(),
    };
    try {
      await this.store.append(
        this.stream,
        eventsToAppend(this.stream, record.last, [event], metadata),
        record.last?.revision ?? 'no-stream',
      );
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return false;
      throw error;
    }
  }
}

function withoutStatus<T extends { status: string }>(result: T): Omit<T, 'status'> {
  const { status: _status, ...rest } = result;
  return rest;
}
