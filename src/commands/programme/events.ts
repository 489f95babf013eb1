// Events of a funding programme (stream programme-{code}).
import type { DomainEvent } from '../decider.js';

export type ProgrammeRegistered = DomainEvent<
  'ProgrammeRegistered',
  { code: string; name: string; description: string; registeredAt: string }
>;

export type ProgrammeRenamed = DomainEvent<'ProgrammeRenamed', { code: string; name: string; description: string; reason: string }>;

export type ProgrammeEvent = ProgrammeRegistered | ProgrammeRenamed;

export const PROGRAMME_EVENT_TYPES = ['ProgrammeRegistered', 'ProgrammeRenamed'] as const;

export const PROGRAMME_CODE_PATTERN = /^[a-z0-9][a-z0-9-]{1,63}$/;

export function programmeStream(code: string): string {
  return `programme-${code}`;
}
