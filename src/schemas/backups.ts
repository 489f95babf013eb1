// Response schema of POST /admin/backups: the manifest written beside the copy.
export { backupManifestSchema } from '../backup/manifest.js';
