// The dashboard's reading of a signed checkpoint note: origin, size and root, and refusal of anything else.
import { describe, expect, it } from 'vitest';
import { parseCheckpointNote } from '../../web/src/checkpointNote.js';

const ROOT = Buffer.alloc(32, 7).toString('base64');
const NOTE = `funding-ledger/test\n42\n${ROOT}\n\n\u2014 funding-ledger/test AAAAAAAA\n`;

describe('parseCheckpointNote', () => {
  it('reads the origin, the tree size and the root of a signed note', () => {
    expect(parseCheckpointNote(NOTE)).toEqual({ origin: 'funding-ledger/test', treeSize: 42, rootHash: ROOT });
    expect(parseCheckpointNote(`funding-ledger/test\n0\n${ROOT}\n\n`)?.treeSize).toBe(0);
  });

  it('refuses text that is not a checkpoint: no blank line, a bad size, a root that is not 32 bytes of base64', () => {
    expect(parseCheckpointNote(`funding-ledger/test\n42\n${ROOT}\n`)).toBeUndefined();
    expect(parseCheckpointNote(`funding-ledger/test\n042\n${ROOT}\n\n`)).toBeUndefined();
    expect(parseCheckpointNote(`funding-ledger/test\n-1\n${ROOT}\n\n`)).toBeUndefined();
    expect(parseCheckpointNote(`funding-ledger/test\n99999999999999999999\n${ROOT}\n\n`)).toBeUndefined();
    expect(parseCheckpointNote(`funding-ledger/test\n42\n${Buffer.alloc(31).toString('base64')}\n\n`)).toBeUndefined();
    expect(parseCheckpointNote(`\n42\n${ROOT}\n\n`)).toBeUndefined();
    expect(parseCheckpointNote('<html>not found</html>')).toBeUndefined();
  });
});
