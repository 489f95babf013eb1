// Scheduled exports' manifests carry the ledger's signed checkpoint of the journal up to the position the file reflects.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openCheckpoint } from '../../../src/audit/checkpoint.js';
import { CheckpointSigner, auditIdentityOf } from '../../../src/audit/checkpoints.js';
import { JournalTree, leafOf } from '../../../src/audit/journalTree.js';
import { MerkleTree } from '../../../src/audit/merkle.js';
import { generateSignerKey } from '../../../src/audit/signedNote.js';
import { journalCheckpoints } from '../../../src/exports/schedules/checkpoint.js';
import type { ExportManifest } from '../../../src/exports/schedules/run.js';
import type { Position } from '../../../src/store/port.js';
import { comparePositions, parsePosition } from '../../../src/store/position.js';
import { ChainedLog } from '../../audit/chainedLog.js';
import { announce, startTestLedger } from '../../support/ledger.js';
import { registerProgrammes, theThirtyMillion, theThreeMillion } from '../../support/scenarios.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function aDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scheduled-checkpoints-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Manifests of complete runs in `directory`, by file name. */
function manifestsIn(directory: string): ExportManifest[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(directory, file), 'utf8')) as ExportManifest);
}

async function aManifestAt(directory: string, position: string): Promise<ExportManifest> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = manifestsIn(directory).find((manifest) => manifest.position === position);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no run at position ${position} in ${directory}`);
    await sleep(100);
  }
}

describe('scheduled export manifests', () => {
  it('carry the checkpoint, signed by the ledger, of the journal tree over exactly the events up to their position', async () => {
    const root = aDirectory();
    const schedulesFile = join(root, 'schedules.json');
    writeFileSync(
      schedulesFile,
      JSON.stringify([
        {
          name: 'totals',
          cron: '*/1 * * * * *',
          kind: 'totals',
          options: { groupBy: ['country'] },
          directory: join(root, 'totals'),
          keep: 50,
        },
        { name: 'journal', cron: '*/1 * * * * *', kind: 'events', directory: join(root, 'events'), keep: 50 },
      ]),
    );
    const ledger = await startTestLedger({ env: { EXPORT_SCHEDULES_FILE: schedulesFile } });
    await registerProgrammes(ledger);
    await announce(ledger, theThirtyMillion());
    await announce(ledger, theThreeMillion());
    const head = await ledger.storeHead();
    const { verifier, origin } = ledger.ledger.context.checkpoints.identity;
    // The tree an auditor would compute from the store, independently of the projections.
    const events = [];
    for await (const event of ledger.ledger.context.store.readAll()) events.push(event);

    const manifests = [await aManifestAt(join(root, 'totals'), head), await aManifestAt(join(root, 'events'), head)];
    await ledger.close();
    // Every run, including any from before the writes, at position 0 or part way.
    manifests.push(...manifestsIn(join(root, 'totals')), ...manifestsIn(join(root, 'events')));

    for (const manifest of manifests) {
      expect(typeof manifest.checkpoint).toBe('string');
      const { checkpoint } = openCheckpoint(manifest.checkpoint!, verifier);
      const at = parsePosition(manifest.position) as Position;
      const covered = events.filter((event) => comparePositions(event.position, at) <= 0);
      const tree = new MerkleTree();
      for (const event of covered) tree.append(leafOf(event));
      expect(checkpoint).toMatchObject({ origin, treeSize: covered.length });
      expect(checkpoint.rootHash.equals(tree.root())).toBe(true);
    }
    expect(manifests.slice(0, 2).map((manifest) => openCheckpoint(manifest.checkpoint!, verifier).checkpoint.treeSize)).toEqual([
      events.length,
      events.length,
    ]);
  });
});

describe('journalCheckpoints', () => {
  /** A journal of `events` events, its projections `applied` up to a point, and a waitFor that applies the rest when asked. */
  function aJournal(count: number) {
    const log = new ChainedLog();
    for (let n = 0; n < count; n += 1) log.append(`programme-${n % 2}`);
    const journal = JournalTree.empty();
    const signer = new CheckpointSigner(auditIdentityOf(generateSignerKey('funding-ledger/schedules')), () => journal.tree);
    return { log, journal, signer };
  }

  it('signs the tree up to the event at the position, the empty tree at position 0', async () => {
    const { log, journal, signer } = aJournal(5);
    for (const event of log.events) journal.append(event);
    const checkpoints = journalCheckpoints({ journal, waitFor: async () => true }, signer);

    const [atThree, atZero] = [await checkpoints('3'), await checkpoints('0')];

    expect(openCheckpoint(atThree, signer.identity.verifier).checkpoint).toMatchObject({ treeSize: 3, rootHash: journal.tree.root(3) });
    expect(openCheckpoint(atZero, signer.identity.verifier).checkpoint).toMatchObject({ treeSize: 0, rootHash: journal.tree.root(0) });
  });

  it('waits for the projections to apply a position the store has reached (an events export), and refuses one they never reach', async () => {
    const { log, journal, signer } = aJournal(4);
    for (const event of log.events.slice(0, 2)) journal.append(event);
    const waitFor = async (position: Position): Promise<boolean> => {
      // The projections catch up meanwhile.
      for (const event of log.events.slice(journal.size)) if (comparePositions(event.position, position) <= 0) journal.append(event);
      return journal.indexOf(position) !== undefined;
    };
    const checkpoints = journalCheckpoints({ journal, waitFor }, signer);

    const atFour = await checkpoints('4');

    expect(openCheckpoint(atFour, signer.identity.verifier).checkpoint.treeSize).toBe(4);
    await expect(checkpoints('9')).rejects.toThrow(
      "no event of the journal tree is at position 9: the export's checkpoint cannot be signed",
    );
  });
});
