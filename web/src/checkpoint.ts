// The ledger's signed checkpoint and the key that verifies it, from the public audit routes: shown so a reader can pin both and check proofs later.
import { getPublicText } from './api.js';
import { parseCheckpointNote } from './checkpointNote.js';
import { byId, el } from './dom.js';
import { plural } from './format.js';

/** Characters of the root shown before an ellipsis: enough to compare by eye with a checkpoint held elsewhere. */
const ROOT_SHOWN = 16;

/** Fetches the latest checkpoint and the verifier key and shows them in #checkpoint; a failure is shown there, not raised. */
export async function showCheckpoint(): Promise<void> {
  const box = byId('checkpoint-summary');
  const keyText = byId('verifier-key');
  try {
    const [note, verifierKey] = await Promise.all([getPublicText('/audit/checkpoint'), getPublicText('/audit/verifier-key')]);
    const checkpoint = parseCheckpointNote(note);
    if (checkpoint === undefined) throw new Error('the checkpoint is not in the expected format');
    box.dataset.treeSize = String(checkpoint.treeSize);
    box.dataset.rootHash = checkpoint.rootHash;
    box.replaceChildren(
      `Signed by ${checkpoint.origin} over ${plural(checkpoint.treeSize, 'event')}; root `,
      el('code', { title: checkpoint.rootHash }, `${checkpoint.rootHash.slice(0, ROOT_SHOWN)}…`),
      '.',
    );
    keyText.textContent = verifierKey.trim();
  } catch (error) {
    delete box.dataset.treeSize;
    box.textContent = `The signed checkpoint could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
  }
}
