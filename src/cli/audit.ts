// `ledger audit`: verify the hash chains, export the journal for offline audit, verify such an export.
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { readCheckpointFile, readLedgerIdentity, readVerifierKey } from '../audit/checkpointSignature.js';
import { exportCheckpointLines } from '../audit/exportCheckpoint.js';
import { exportLines, verifyExportFile } from '../audit/exportFile.js';
import { JournalTree } from '../audit/journalTree.js';
import { ChainVerifier, verifyStreamWalk, type BrokenLink } from '../audit/verify.js';
import { checkpointLines, verifyStoreAgainstCheckpoint, type CheckpointReport } from '../audit/verifyCheckpoint.js';
import { progressOf } from './progress.js';
import { withStore } from './store.js';

interface CheckpointFlags {
  checkpoint?: string;
  verifierKey?: string;
}

function describeBreak(broken: BrokenLink): string {
  return (
    `first broken link: ${broken.stream} revision ${broken.revision} (${broken.type}) at position ${broken.position}: ` +
    `${broken.problem}`
  );
}

export function registerAuditCommands(program: Command, dataDirOf: () => string): void {
  const audit = program.command('audit').description('tamper evidence: hash chains and offline exports');

  audit
    .command('verify')
    .description(
      'walk the journal and every stream, check every hash chain, and optionally hold the store to a checkpoint taken earlier; exits 1 ' +
        'on any break',
    )
    .option(
      '--checkpoint <file>',
      'a signed checkpoint taken earlier (e.g. saved from GET /audit/checkpoint): the store must still hold the events it covers',
    )
    .option(
      '--verifier-key <vkey>',
      "with --checkpoint: the key to check its signature with (the vkey text, or a file holding it); default the ledger's own",
    )
    .option(
      '--reference <export>',
      'with --checkpoint: an audit export whose first events the checkpoint covers, to name the first event that differs',
    )
    .option('--json', 'print the report as JSON')
    .action(async (options: CheckpointFlags & { reference?: string; json?: boolean }) => {
      if (options.checkpoint === undefined && (options.verifierKey !== undefined || options.reference !== undefined)) {
        throw new Error('--verifier-key and --reference go with --checkpoint');
      }
      // The inputs first: a wrong path fails at once, before the journal is walked.
      const note = options.checkpoint === undefined ? undefined : readCheckpointFile(options.checkpoint);
      const verifierKey = options.verifierKey === undefined ? undefined : readVerifierKey(options.verifierKey);
      const report = await withStore(dataDirOf(), async (store, config) => {
        const verifier = new ChainVerifier();
        const journal = note === undefined ? undefined : JournalTree.empty();
        const progress = progressOf('verify', undefined);
        let checked = 0;
        for await (const event of store.readAll()) {
          verifier.check(event);
          journal?.append(event);
          checked += 1;
          if (checked % 5000 === 0) progress.update(checked);
        }
        progress.stop();
        const chains = verifier.report();
        // Then every stream on its own, as the store serves it to the command handler.
        let streamBreak: BrokenLink | undefined;
        for (const [stream, head] of chains.chainHeads) {
          streamBreak = await verifyStreamWalk(stream, store.readStream(stream), head);
          if (streamBreak !== undefined) break;
        }
        const walked =
          streamBreak === undefined || !chains.ok
            ? chains
            : { ...chains, ok: false, breaks: chains.breaks + 1, firstBreak: chains.firstBreak ?? streamBreak };
        let checkpoint: CheckpointReport | undefined;
        if (note !== undefined && journal !== undefined) {
          // Only when no key is given is the ledger's key file read, and it is never made here.
          const ledger = verifierKey === undefined ? readLedgerIdentity(config) : undefined;
          checkpoint = await verifyStoreAgainstCheckpoint({
            note,
            verifierKey,
            ledger,
            ledgerKeyFile: config.auditSigningKeyFile,
            store,
            journal,
            dataDir: config.dataDir,
            referenceFile: options.reference,
          });
        }
        return { walked, checkpoint };
      });
      const { walked, checkpoint } = report;
      const ok = walked.ok && (checkpoint?.ok ?? true);
      const { chainHeads: _heads, ...summary } = walked;
      if (options.json)
        process.stdout.write(
          `${JSON.stringify(checkpoint === undefined ? summary : { ...summary, ok, chainsOk: walked.ok, checkpoint })}\n`,
        );
      else {
        process.stdout.write(
          `events checked: ${walked.events}\nstreams: ${walked.streams}\nlast position: ${walked.lastPosition ?? '-'}\n`,
        );
        process.stdout.write(
          walked.ok ? 'every chain is intact\n' : `${walked.breaks} broken link(s); ${describeBreak(walked.firstBreak!)}\n`,
        );
        if (checkpoint !== undefined)
          process.stdout.write(
            checkpointLines(checkpoint)
              .map((line) => `${line}\n`)
              .join(''),
          );
      }
      if (!ok) process.exitCode = 1;
    });

  audit
    .command('export')
    .description('write the whole journal as JSON Lines with a final manifest line')
    .requiredOption('--out <file>', 'file to write (written to <file>.partial, then renamed)')
    .action(async (options: { out: string }) => {
      const partial = `${options.out}.partial`;
      await withStore(dataDirOf(), async (store, config) => {
        // Signed with the ledger's key, as GET /audit/export is; a key made here would vouch for nothing anyone holds.
        const identity = readLedgerIdentity(config);
        if (identity === undefined) {
          throw new Error(
            `no audit signing key at ${config.auditSigningKeyFile}: the export's checkpoint is signed with the ledger's key (start the ` +
              `service once to make it, or set AUDIT_SIGNING_KEY_FILE)`,
          );
        }
        await pipeline(Readable.from(exportLines(store, identity)), createWriteStream(partial));
      });
      await rename(partial, options.out);
      process.stderr.write(`wrote ${options.out}\n`);
    });

  audit
    .command('verify-export')
    .argument('<file>', 'an export written by `ledger audit export` or GET /audit/export')
    .description('check an export file alone: chains, count, last position, chain heads, digest, its checkpoint; exits 1 on any problem')
    .option('--checkpoint <file>', "a signed checkpoint taken earlier: the file's first events must be the ones it covers")
    .option('--verifier-key <vkey>', "the ledger's published key (the vkey text, or a file holding it); default the key the manifest names")
    .option('--json', 'print the report as JSON')
    .action(async (file: string, options: CheckpointFlags & { json?: boolean }) => {
      const earlier = options.checkpoint === undefined ? undefined : readCheckpointFile(options.checkpoint);
      const verifierKey = options.verifierKey === undefined ? undefined : readVerifierKey(options.verifierKey);
      const report = await verifyExportFile(file, { verifierKey, earlier });
      if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        process.stdout.write(
          `events checked: ${report.events}\nstreams: ${report.streams}\nlast position: ${report.lastPosition ?? '-'}\n`,
        );
        if (report.firstBreak) process.stdout.write(`${report.breaks} broken link(s); ${describeBreak(report.firstBreak)}\n`);
        for (const problem of report.manifestProblems) process.stdout.write(`manifest: ${problem}\n`);
        process.stdout.write(
          exportCheckpointLines(report)
            .map((line) => `${line}\n`)
            .join(''),
        );
        if (report.ok) process.stdout.write('the export is intact\n');
      }
      if (!report.ok) process.exitCode = 1;
    });
}
