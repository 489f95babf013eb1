// What the ledger recorded, read over HTTP: the journal export, events by type, and a replay compared with the live totals.
import type { Agent } from 'node:http';
import { expect } from 'vitest';
import { answered, send, type Answer } from './http.js';

export interface JournalEvent {
  readonly position: string;
  readonly stream: string;
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

function expectAnswer(reply: Awaited<ReturnType<typeof send>>, status: number, what: string): Answer {
  if (!answered(reply)) throw new Error(`${what}: no answer (${reply.error})`);
  if (reply.status !== status) throw new Error(`${what}: expected ${status}, got ${reply.status}: ${reply.text}`);
  return reply;
}

/** GET /audit/export: every event and the manifest, as the bytes an auditor would download. */
export async function journalExport(agent: Agent, baseUrl: string, key: string): Promise<string> {
  return expectAnswer(
    await send(agent, baseUrl, { method: 'GET', path: '/audit/export', headers: { authorization: `Bearer ${key}` } }),
    200,
    'GET /audit/export',
  ).text;
}

/** Every event of one type from GET /events, page by page. */
export async function eventsOfType(agent: Agent, baseUrl: string, key: string, type: string): Promise<JournalEvent[]> {
  const events: JournalEvent[] = [];
  let after: string | null = null;
  do {
    const path = `/events?type=${type}&limit=1000${after === null ? '' : `&after=${after}`}`;
    const page = expectAnswer(
      await send(agent, baseUrl, { method: 'GET', path, headers: { authorization: `Bearer ${key}` } }),
      200,
      `GET ${path}`,
    );
    events.push(...(page.json.items as JournalEvent[]));
    after = page.json.nextCursor as string | null;
  } while (after !== null);
  return events;
}

/** POST /audit/replay: every projection rebuilt from position 0 must equal the live one. Returns the digest. */
export async function expectReplayMatches(agent: Agent, baseUrl: string, key: string): Promise<{ digest: string; events: number }> {
  const report = expectAnswer(
    await send(agent, baseUrl, { method: 'POST', path: '/audit/replay', headers: { authorization: `Bearer ${key}` } }),
    200,
    'POST /audit/replay',
  ).json;
  expect(report.match, `replay digest ${String(report.digest)} differs from the live ${String(report.liveDigest)}`).toBe(true);
  return { digest: report.digest as string, events: report.events as number };
}

/** Fails when any value appears more than once, naming the repeats. */
export function expectUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>();
  const repeated = values.filter((value) => (seen.has(value) ? true : (seen.add(value), false)));
  expect(repeated, `${what} recorded more than once`).toEqual([]);
}
