// Idempotency-Keys belong to an API key's id, not its name: a new key with a revoked key's name gets none of its answers.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { answerOf, clientOf, startTestLedger } from '../support/ledger.js';
import { registerProgrammes, theThirtyMillion } from '../support/scenarios.js';

const idempotencyKey = (value: string) => ({ headers: { 'idempotency-key': value } });

/** The id a key is known by: the first 16 hex digits of its SHA-256. */
function idOf(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 16);
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 5_000; !(await condition());) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Idempotency-Key scoped by the API key id', () => {
  it('replays a key its own answers, and never to a new key that took its name', async () => {
    const ledger = await startTestLedger();
    await registerProgrammes(ledger);
    const first = ledger.createKey('newsroom', ['write']);
    const asFirst = clientOf(ledger, first);

    const written = await asFirst.post('/announcements', theThirtyMillion(), idempotencyKey('morning-run'));
    const head = await ledger.storeHead();
    const retried = await asFirst.post('/announcements', theThirtyMillion(), idempotencyKey('morning-run'));
    const reused = await asFirst.post('/announcements', theThirtyMillion({ title: 'Another' }), idempotencyKey('morning-run'));

    expect(written.status).toBe(201);
    expect(answerOf(retried)).toEqual(answerOf(written));
    expect(reused.status).toBe(422);
    expect(await ledger.storeHead()).toBe(head);
    const [recorded] = await ledger.eventsIn('announcement-');
    expect(recorded?.metadata).toMatchObject({ actor: 'newsroom', keyId: idOf(first), idempotencyKey: 'morning-run' });

    ledger.revokeKey('newsroom');
    const second = ledger.createKey('newsroom', ['write']);
    const asSecond = clientOf(ledger, second);
    // The service notices a revocation within a second (README "API keys").
    await until(async () => (await asFirst.get('/programmes')).status === 401);
    expect((await asFirst.post('/announcements', theThirtyMillion(), idempotencyKey('morning-run'))).status).toBe(401);
    const sameRequest = await asSecond.post('/announcements', theThirtyMillion(), idempotencyKey('morning-run'));

    // Not the first key's answer replayed: the second key has used no Idempotency-Key yet.
    expect(sameRequest.json.id).not.toBe(written.json.id);
    expect(answerOf(sameRequest)).not.toEqual(answerOf(written));
  });
});
