// The manifest a backup writes beside its copy: the response of POST /admin/backups, and what a restore checks.
import { z } from 'zod';

const sha256Schema = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .meta({ description: "SHA-256 (hex) of the file's bytes" });

export const backupManifestSchema = z
  .object({
    file: z
      .string()
      .meta({ description: 'The copy of the event store, beside this manifest', examples: ['events-20261125T060000.123Z.sqlite'] }),
    sha256: sha256Schema,
    events: z.number().int().min(0).meta({ description: 'Events in the copy' }),
    lastPosition: z.string().meta({
      description: 'Position of the last event in the copy ("0" when empty): the copy answers as `/totals?asOf=<lastPosition>` did',
      examples: ['1042'],
    }),
    createdAt: z.string().meta({ description: 'When the backup was taken (ISO 8601)' }),
    keys: z
      .object({ file: z.string().meta({ examples: ['keys-20261125T060000.123Z.sqlite'] }), sha256: sha256Schema })
      .meta({ description: 'The copy of the API keys store (`DATA_DIR/keys`), taken in the same backup' }),
  })
  .meta({ id: 'BackupManifest', description: 'A backup of the embedded store, written beside it as `<name>.json`' });

export type BackupManifest = z.infer<typeof backupManifestSchema>;
