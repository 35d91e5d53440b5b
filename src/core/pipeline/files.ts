/** File moves for the pipeline: never onto an existing file, durable across a crash. */
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { syncDir } from '../registry/durable';

/**
 * Moves `from` to `to`, or to `name-2.ext`, `name-3.ext`, … when `to` exists: nothing is ever
 * overwritten. A rename where possible (same file system), else copy, fsync, then unlink.
 * Returns where the file went.
 */
export async function moveFile(from: string, to: string): Promise<string> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  for (let n = 1; ; n++) {
    const dest = n === 1 ? to : numbered(to, n);
    // link() fails on an existing name, which rename() would silently replace.
    try {
      await fs.link(from, dest);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw e;
      try {
        await fs.copyFile(from, dest, constants.COPYFILE_EXCL);
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e2;
      }
      const fd = await fs.open(dest, 'r+');
      await fd.sync().finally(() => fd.close());
    }
    await syncDir(path.dirname(dest));
    await fs.unlink(from);
    await syncDir(path.dirname(from));
    return dest;
  }
}

function numbered(file: string, n: number): string {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}-${n}${ext}`;
}

/** Names a person or a copy in progress leaves behind, which are not batches. */
export function isCandidateBatch(name: string): boolean {
  return !name.startsWith('.') && !name.startsWith('~') && !/(\.tmp|\.part|\.partial|\.crdownload|\.swp|~)$/i.test(name);
}

/** Data files directly in `dir` (not recursive), sorted; none when it does not exist. */
export async function listBatches(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && isCandidateBatch(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}

export function relTo(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
