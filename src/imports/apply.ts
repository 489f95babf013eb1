// Writes an import plan through the one command handler and the real deciders, so every event is chained and hashed.
import { announcementDecider } from '../commands/announcement/decide.js';
import { announcementStream } from '../commands/announcement/events.js';
import { handleCommand } from '../commands/handle.js';
import type { CommandMetadata } from '../commands/envelope.js';
import { programmeDecider } from '../commands/programme/decide.js';
import { programmeStream } from '../commands/programme/events.js';
import { canonicalJson } from '../domain/canonicalJson.js';
import type { EventStore } from '../store/port.js';
import { announcementKeyOf, IMPORT_ACTOR, programmeKeyOf, sha256, withdrawalKeyOf, type IdentifiedAnnouncement } from './content.js';
import { flowCommandOf } from './flowFile.js';
import type { ImportPlan } from './plan.js';

export interface ImportRun {
  /** One id for every event of this run. */
  readonly correlationId: string;
  readonly now: () => string;
}

/** Steps of a plan: programmes first, then each announcement with its withdrawal and each flow, then completed withdrawals. */
export function stepsOf(plan: ImportPlan): number {
  return plan.programmes.length + plan.steps.length + plan.withdraw.length;
}

export async function applyPlan(
  store: EventStore,
  plan: ImportPlan,
  run: ImportRun,
  onWritten: (done: number) => void = () => undefined,
): Promise<void> {
  const metadataOf = (key: string, requestHash: string): CommandMetadata => ({
    actor: IMPORT_ACTOR,
    correlationId: run.correlationId,
    causationId: run.correlationId,
    now: run.now(),
    idempotencyKey: key,
    requestHash,
  });
  let done = 0;
  const written = (): void => onWritten((done += 1));

  for (const programme of plan.programmes) {
    const data = { code: programme.code, name: programme.name, description: '' };
    const metadata = metadataOf(programmeKeyOf(programme.code), sha256(canonicalJson(data)));
    await handleCommand(
      store,
      programmeDecider,
      programmeStream(programme.code),
      { type: 'RegisterProgramme', data, metadata: { now: metadata.now } },
      { metadata },
    );
    written();
  }

  const withdraw = async (announcement: IdentifiedAnnouncement, reason: string): Promise<void> => {
    const command = { type: 'WithdrawFunding' as const, data: { announcementId: announcement.id, reason } };
    await handleCommand(store, announcementDecider, announcementStream(announcement.id), command, {
      metadata: metadataOf(withdrawalKeyOf(announcement), announcement.contentHash),
    });
  };

  for (const step of plan.steps) {
    if (step.kind === 'flow') {
      const { flow } = step;
      await handleCommand(store, announcementDecider, announcementStream(flow.announcementId), flowCommandOf(flow), {
        metadata: metadataOf(flow.key, flow.requestHash),
      });
      written();
      continue;
    }
    const { announcement, context } = step;
    // Decided with the facts the plan gathered for it: the store's, and what the file's earlier steps wrote since.
    const command = { type: 'AnnounceFunding' as const, data: { announcementId: announcement.id, fields: announcement.fields }, context };
    await handleCommand(store, announcementDecider, announcementStream(announcement.id), command, {
      metadata: metadataOf(announcementKeyOf(announcement), announcement.contentHash),
    });
    if (announcement.withdrawalReason !== undefined) await withdraw(announcement, announcement.withdrawalReason);
    written();
  }

  for (const announcement of plan.withdraw) {
    await withdraw(announcement, announcement.withdrawalReason as string);
    written();
  }
}
