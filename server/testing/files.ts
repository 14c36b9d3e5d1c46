import fs from 'node:fs';
import path from 'node:path';

/** Writes `files` ({ 'a/b.md': content }, paths with `/`) under `root`, making the folders on the way. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, ...rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}
