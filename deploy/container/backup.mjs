// A consistent copy of the embedded database while the app runs (`backup` in the image:
// `docker compose exec dashboard /app/deploy/container/entrypoint.sh backup`). SQLite's
// VACUUM INTO writes a snapshot of one read transaction, so writers are not stopped and the
// copy is never torn; the copy's integrity is checked before its name is printed.
// Usage: node deploy/container/backup.mjs [<copy.db>]   (default /data/backups/notion-sync-<time>.db)
// A libSQL server (DATABASE_URL http(s)/libsql) is backed up on the server's side instead.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// libsql from the app's node_modules (this script lives in <app>/deploy/container/).
const require = createRequire(path.join(import.meta.dirname, '..', '..', 'package.json'));
const Database = require('libsql');

const url = process.env.DATABASE_URL ?? 'file:./data/notion-sync.db';
if (!url.startsWith('file:')) {
  process.stderr.write('DATABASE_URL is not a file: back up the libSQL server on its side\n');
  process.exit(1);
}
const source = path.resolve(url.slice('file:'.length));
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const target = path.resolve(process.argv[2] ?? path.join(path.dirname(source), 'backups', `notion-sync-${stamp}.db`));
if (fs.existsSync(target)) {
  process.stderr.write(`${target} exists: name a new file\n`);
  process.exit(1);
}
fs.mkdirSync(path.dirname(target), { recursive: true });

const database = new Database(source, { fileMustExist: true });
try {
  database.prepare('VACUUM INTO ?').run(target);
} finally {
  database.close();
}
const copy = new Database(target, { readonly: true });
try {
  const { integrity_check: integrity } = copy.prepare('PRAGMA integrity_check').get();
  if (integrity !== 'ok') throw new Error(`the copy fails its integrity check: ${integrity}`);
} finally {
  copy.close();
}
process.stdout.write(`${target}\n`);
if (!process.env.NOTION_SYNC_SECRET && !process.env.NOTION_SYNC_SECRET_FILE) {
  process.stdout.write(`Keep ${path.join(path.dirname(source), 'secret.key')} with it: the stored tokens are encrypted with that key\n`);
}
