import fs from 'node:fs/promises';
import { constants } from 'node:fs';
import type { FileSource } from './types';

/**
 * Writes that survive a crash, not just a kill: data reaches the disk (fsync) before the rename
 * or the next step that makes it visible relies on it.
 */

export async function writeSourceDurable(file: string, source: FileSource): Promise<void> {
  if (typeof source === 'object' && 'path' in source) {
    await fs.copyFile(source.path, file, constants.COPYFILE_EXCL);
    const fd = await fs.open(file, 'r+');
    try {
      await fd.sync();
    } finally {
      await fd.close();
    }
    return;
  }
  const fd = await fs.open(file, 'wx');
  try {
    await fd.writeFile(source);
    await fd.sync();
  } finally {
    await fd.close();
  }
}

/** Makes a rename or a new entry in `dir` durable. Some platforms cannot open directories: best effort there. */
export async function syncDir(dir: string): Promise<void> {
  let fd: fs.FileHandle | undefined;
  try {
    fd = await fs.open(dir, 'r');
    await fd.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw e;
  } finally {
    await fd?.close();
  }
}

/**
 * Appends one line with a single write, then fsyncs. A kill cannot cut one write short; a power
 * loss can, and then only the last line is torn.
 */
export async function appendLineDurable(file: string, line: string): Promise<void> {
  const fd = await fs.open(file, 'a');
  try {
    await fd.write(line.endsWith('\n') ? line : line + '\n');
    await fd.sync();
  } finally {
    await fd.close();
  }
}
