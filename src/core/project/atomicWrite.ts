/**
 * The one way ProdML writes a file it owns or one the user asked for: the whole content or
 * nothing. write-file-atomic writes a temp file beside the target, fsyncs it and renames it over;
 * with `noClobber` the final step is a link(), which fails if the file appeared meanwhile, so a
 * user's file is never replaced silently, even in a race.
 */
import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomicLib from 'write-file-atomic';
import { badInput } from '../errors';

export interface AtomicWriteOptions {
  /** Refuse to replace an existing file (a file the user owns): bad input naming it instead. */
  noClobber?: boolean;
  /** What the message tells the user to do to replace it anyway (default: use --force). */
  clobberHint?: string;
}

export async function writeFileAtomic(file: string, data: string | Buffer, opts: AtomicWriteOptions = {}): Promise<void> {
  const abs = path.resolve(file);
  const st = await fs.promises.stat(abs).catch(() => undefined);
  if (st?.isDirectory()) throw badInput(file, 'is a directory; give a file name');
  const exists = () => badInput(file, `already exists; ${opts.clobberHint ?? 'use --force to replace it'}`);
  if (st && opts.noClobber) throw exists();
  await fs.promises.mkdir(path.dirname(abs), { recursive: true });
  if (!opts.noClobber) {
    await writeFileAtomicLib(abs, data, { fsync: true });
    return;
  }
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  await fs.promises.writeFile(tmp, data, { flag: 'wx' });
  try {
    await fs.promises.link(tmp, abs).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EEXIST' ? exists() : e;
    });
  } finally {
    await fs.promises.rm(tmp, { force: true });
  }
}
