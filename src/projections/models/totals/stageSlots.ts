// Issue 20's money beside the face value: the restated part of an announcement, its commitments and disbursements,
// each in a contribution slot of its own whose rows sit in cells of their stage.
import type { Restatement } from '../../../commands/announcement/events.js';
import { dayNumber } from '../columns.js';
import { COMMITTED, DISBURSED, RESTATED } from './cells.js';
import { applyContribution, dateOf, isActive, newSlot, withdraw } from './contribution.js';
import { proRata } from './proRata.js';
import type { RestatedPart, TotalsState } from './state.js';

/**
 * Slot ids derived from the announcement id: `<id>#restated`, `<id>#committed#<on>`, `<id>#disbursed#<on>`. One slot
 * per date, because a slot has one rate date; the money of several events on one date is their net sum. Ids are UUIDs
 * (the API takes nothing else), which never contain "#".
 */
type DerivedKind = 'restated' | 'committed' | 'disbursed';

function derivedId(id: string, kind: DerivedKind, on?: string): string {
  return on === undefined ? `${id}#${kind}` : `${id}#${kind}#${on}`;
}

function kindOf(state: TotalsState, slot: number): DerivedKind {
  return state.contributions.ids.idOf(slot).split('#')[1] as DerivedKind;
}

/** The slot derived from an announcement's, made on first use and listed under it. */
function derivedSlot(state: TotalsState, owner: number, id: string): number {
  const existing = state.contributions.ids.slotOf(id);
  if (existing !== undefined) return existing;
  const slot = newSlot(state, id);
  const derived = state.stages.derived.get(owner);
  if (derived === undefined) state.stages.derived.set(owner, [slot]);
  else derived.push(slot);
  return slot;
}

/** What a slot's rows add up to now (0 for an empty slot). */
function netOf(state: TotalsState, slot: number): number {
  const c = state.contributions;
  const first = c.firstRow.get(slot);
  let sum = 0;
  for (let row = first; row < first + c.rowCount.get(slot); row += 1) sum += c.rowMinors.get(row);
  return sum;
}

/**
 * Replaces a derived slot's rows: `minors[i]` in the cell of the owner's row i, moved to `stage` and to the period of
 * `date`. Rows of nothing are left out (they would count an announcement where it has no money).
 */
function rewrite(state: TotalsState, slot: number, owner: number, stage: number, date: string, minors: readonly number[]): void {
  const c = state.contributions;
  const { cells } = state;
  if (c.rowCount.get(slot) > 0) withdraw(state, slot);
  const period = cells.periodOf(date);
  c.days.set(slot, dayNumber(date));
  c.currencies.set(slot, c.currencies.get(owner));
  c.firstRow.set(slot, c.rowCells.length);
  const ownerFirst = c.firstRow.get(owner);
  let count = 0;
  minors.forEach((minor, index) => {
    if (minor === 0) return;
    const cell = c.rowCells.get(ownerFirst + index);
    const code = (field: 'programmes' | 'funders' | 'currencies' | 'countries') => cells.codeOf(cell, field);
    c.rowCells.push(cells.numberOf(code('programmes'), code('funders'), code('currencies'), period, code('countries'), stage));
    c.rowMinors.push(minor);
    count += 1;
  });
  c.rowCount.set(slot, count);
  applyContribution(state, slot, 1);
}

/** The owner's rows' minor units: the weights of a pro-rata split. */
function ownerWeights(state: TotalsState, owner: number): number[] {
  const c = state.contributions;
  const first = c.firstRow.get(owner);
  return Array.from({ length: c.rowCount.get(owner) }, (_, index) => c.rowMinors.get(first + index));
}

/**
 * The restated part of an announcement: the sum of its restatements whose earlier announcement is active now, split
 * pro rata over its own allocation rows (proRata.ts), in its own period and at its own rate date.
 */
export function restate(state: TotalsState, owner: number): void {
  const parts = state.stages.restates.get(owner);
  const id = derivedId(state.contributions.ids.idOf(owner), 'restated');
  if (parts === undefined && state.contributions.ids.slotOf(id) === undefined) return;
  let restated = 0;
  for (const part of parts ?? []) if (isActive(state, state.contributions.ids.slotOf(part.id))) restated += part.minor;
  const slot = derivedSlot(state, owner, id);
  rewrite(state, slot, owner, RESTATED, dateOf(state, owner), proRata(restated, ownerWeights(state, owner)));
}

/** Records what an announcement restates now (null or [] for nothing), in the sparse index, and its restated part. */
export function setRestates(state: TotalsState, owner: number, restates: readonly Restatement[] | null | undefined): void {
  const { stages } = state;
  for (const part of stages.restates.get(owner) ?? []) {
    const restaters = stages.restaters.get(part.id);
    restaters?.delete(owner);
    if (restaters?.size === 0) stages.restaters.delete(part.id);
  }
  stages.restates.delete(owner);
  if (restates !== null && restates !== undefined && restates.length > 0) {
    const parts: RestatedPart[] = restates.map((part) => ({ id: part.announcementId, minor: part.amount.minor }));
    stages.restates.set(owner, parts);
    for (const part of parts) {
      const restaters = stages.restaters.get(part.id) ?? new Set<number>();
      restaters.add(owner);
      stages.restaters.set(part.id, restaters);
    }
  }
  restate(state, owner);
}

/** An announcement became active or inactive: the restated parts of the later ones restating it change. */
export function restatedChanged(state: TotalsState, id: string): void {
  if (state.stages.restaters.size === 0) return;
  const restaters = state.stages.restaters.get(id);
  if (restaters === undefined) return;
  for (const later of restaters) if (isActive(state, later)) restate(state, later);
}

/** A commitment: the net sum committed on its date, split pro rata over the announcement's rows. */
export function commit(state: TotalsState, owner: number, minor: number, on: string): void {
  const slot = derivedSlot(state, owner, derivedId(state.contributions.ids.idOf(owner), 'committed', on));
  rewrite(state, slot, owner, COMMITTED, on, proRata(netOf(state, slot) + minor, ownerWeights(state, owner)));
}

/** The net sums of a disbursement slot by country code. */
function disbursedByCountry(state: TotalsState, slot: number): Map<number, number> {
  const c = state.contributions;
  const byCountry = new Map<number, number>();
  const first = c.firstRow.get(slot);
  for (let row = first; row < first + c.rowCount.get(slot); row += 1) {
    const country = state.cells.codeOf(c.rowCells.get(row), 'countries');
    byCountry.set(country, (byCountry.get(country) ?? 0) + c.rowMinors.get(row));
  }
  return byCountry;
}

/** Rewrites a disbursement slot from net sums by country, in the cells of the owner's programme, funder and currency. */
function writeDisbursed(state: TotalsState, slot: number, owner: number, on: string, byCountry: Map<number, number>): void {
  const c = state.contributions;
  const { cells } = state;
  if (c.rowCount.get(slot) > 0) withdraw(state, slot);
  const ownerCell = c.rowCells.get(c.firstRow.get(owner));
  const code = (field: 'programmes' | 'funders' | 'currencies') => cells.codeOf(ownerCell, field);
  const period = cells.periodOf(on);
  c.days.set(slot, dayNumber(on));
  c.currencies.set(slot, c.currencies.get(owner));
  c.firstRow.set(slot, c.rowCells.length);
  let count = 0;
  for (const [country, minor] of [...byCountry].sort(([a], [b]) => a - b)) {
    if (minor === 0) continue;
    c.rowCells.push(cells.numberOf(code('programmes'), code('funders'), code('currencies'), period, country, DISBURSED));
    c.rowMinors.push(minor);
    count += 1;
  }
  c.rowCount.set(slot, count);
  applyContribution(state, slot, 1);
}

/** A disbursement: one row, its country, in the period and at the rate of its date. */
export function disburse(state: TotalsState, owner: number, minor: number, on: string, country: string): void {
  const slot = derivedSlot(state, owner, derivedId(state.contributions.ids.idOf(owner), 'disbursed', on));
  const byCountry = disbursedByCountry(state, slot);
  const code = state.cells.dictionaries.countries.codeOf(country);
  byCountry.set(code, (byCountry.get(code) ?? 0) + minor);
  writeDisbursed(state, slot, owner, on, byCountry);
}

/** After an amendment rewrote the announcement's rows: every slot derived from it follows (split, cells, period). */
export function followAmendment(state: TotalsState, owner: number): void {
  for (const slot of state.stages.derived.get(owner) ?? []) {
    const kind = kindOf(state, slot);
    if (kind === 'restated') restate(state, owner);
    else if (kind === 'committed')
      rewrite(state, slot, owner, COMMITTED, onDateOf(state, slot), proRata(netOf(state, slot), ownerWeights(state, owner)));
    else writeDisbursed(state, slot, owner, onDateOf(state, slot), disbursedByCountry(state, slot));
  }
}

/** The date of a commitment or disbursement slot, from its id. */
function onDateOf(state: TotalsState, slot: number): string {
  return state.contributions.ids.idOf(slot).split('#')[2] as string;
}

/** A withdrawn announcement contributes nothing in any stage; its restatements leave the index. */
export function withdrawDerived(state: TotalsState, owner: number): void {
  for (const slot of state.stages.derived.get(owner) ?? []) if (state.contributions.rowCount.get(slot) > 0) withdraw(state, slot);
  if (state.stages.restates.has(owner)) setRestates(state, owner, null);
}
