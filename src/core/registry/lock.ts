import { randomBytes } from 'node:crypto';
import nodeFs, { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { badInput } from '../errors';

/**
 * One writer per model directory, across processes, that a SIGKILL cannot wedge.
 *
 * The lock is proper-lockfile's `<model>/.lock` directory, whose mtime the holder refreshes.
 * Left as is, a holder killed mid-save would block everyone until the lock goes stale (10 s),
 * so the lock directory is created whole, holding `owner.json` (pid, host, token), by renaming
 * a prepared directory into place (a custom `fs` given to proper-lockfile). Anyone can then
 * tell at once that the holder is a dead process on this host and break its lock.
 *
 * Only breakers remove someone else's lock, and they take turns under a second lock
 * (`.lock-guard`); proper-lockfile's own staleness takeover is switched off in favour of ours
 * (same rule: no refresh for STALE_MS) so that it happens under the guard too. With the holder
 * dead or silent and other breakers excluded, the lock a breaker judged is the one it removes.
 */

const LOCK = '.lock';
const GUARD = '.lock-guard';
const OWNER = 'owner.json';
const NEW_PREFIX = '.lock-new-';
const DEAD_PREFIX = '.lock-dead-';

/** A live holder refreshes the mtime every REFRESH_MS; STALE_MS without one and the lock is abandoned. */
const STALE_MS = 10_000;
const REFRESH_MS = 2_000;
/** Longer than STALE_MS, so a lock left by a process on another host is eventually taken over. */
export const DEFAULT_LOCK_WAIT_MS = 60_000;
/** Hands proper-lockfile a staleness it never reaches: breakLockIfAbandoned decides instead. */
const NEVER_STALE_MS = 1e12;

interface Owner {
  pid: number;
  host: string;
  token: string;
  since: string;
  doing: string;
}

export interface HeldLock {
  /**
   * Throws when the lock was taken over because our refreshes stalled past STALE_MS (a suspended
   * machine, a blocked event loop); call it right before each step that makes a change visible.
   */
  assertHeld(): Promise<void>;
}

export async function withModelLock<T>(modelDir: string, doing: string, fn: (lock: HeldLock) => Promise<T>, waitMs = DEFAULT_LOCK_WAIT_MS): Promise<T> {
  await fs.mkdir(modelDir, { recursive: true });
  const owner: Owner = { pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex'), since: '', doing };
  let lost: Error | undefined;
  const release = await acquire(modelDir, owner, waitMs, (e) => (lost = e));
  const held: HeldLock = {
    async assertHeld() {
      const now = await readOwner(path.join(modelDir, LOCK));
      if (lost || now?.token !== owner.token) {
        throw new Error(`lost the lock on ${modelDir} (${lost?.message ?? 'taken over after our refreshes stalled'}); nothing more was changed`);
      }
    },
  };
  try {
    return await fn(held);
  } finally {
    await release().catch(() => undefined);
  }
}

async function acquire(modelDir: string, owner: Owner, waitMs: number, onLost: (e: Error) => void): Promise<() => Promise<void>> {
  const lockPath = path.join(modelDir, LOCK);
  const deadline = Date.now() + waitMs;
  let pause = 4;
  for (;;) {
    try {
      return await lockfile.lock(lockPath, {
        lockfilePath: lockPath,
        realpath: false,
        stale: NEVER_STALE_MS,
        update: REFRESH_MS,
        retries: 0,
        fs: lockFs(owner),
        onCompromised: onLost,
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    }
    if (await breakLockIfAbandoned(modelDir)) continue;
    if (Date.now() >= deadline) {
      const holder = await readOwner(lockPath);
      const who = holder ? `pid ${holder.pid} on ${holder.host} (${holder.doing}, since ${holder.since})` : 'another process';
      throw badInput(
        undefined,
        `model '${path.basename(modelDir)}' is locked by ${who}; gave up after ${(waitMs / 1000).toFixed(waitMs < 10_000 ? 1 : 0)} s. ` +
          `A lock whose holder died frees itself within ${STALE_MS / 1000} s.`,
      );
    }
    await new Promise((r) => setTimeout(r, pause * (0.5 + Math.random())));
    pause = Math.min(pause * 2, 100);
  }
}

/**
 * proper-lockfile's file system, except for the lock directory: created whole with its owner
 * record by a rename (which fails on an existing, non-empty directory, like mkdir; our lock
 * directories are never empty), and removed by renaming it aside first, so no one ever sees
 * our lock without its owner.
 */
/** proper-lockfile takes any object with node:fs's callback API (its `fs` option is untyped). */
function lockFs(owner: Owner): Omit<typeof nodeFs, 'mkdir' | 'rmdir' | 'rmdirSync'> & Record<'mkdir' | 'rmdir' | 'rmdirSync', (...args: never[]) => void> {
  const isLock = (p: string) => path.basename(p) === LOCK;
  const custom = {
    ...nodeFs,
    mkdir(p: string, cb: (e: NodeJS.ErrnoException | null) => void) {
      if (!isLock(p)) return nodeFs.mkdir(p, cb);
      createLockDir(p, owner).then(() => cb(null), cb);
    },
    rmdir(p: string, cb: (e: NodeJS.ErrnoException | null) => void) {
      if (!isLock(p)) return nodeFs.rmdir(p, cb);
      removeLockDir(p, owner).then(() => cb(null), cb);
    },
    // On exit by a signal proper-lockfile cleans up synchronously.
    rmdirSync(p: string) {
      if (!isLock(p)) return nodeFs.rmdirSync(p);
      if (readOwnerSync(p)?.token !== owner.token) return;
      const dead = path.join(path.dirname(p), DEAD_PREFIX + randomBytes(4).toString('hex'));
      nodeFs.renameSync(p, dead);
      nodeFs.rmSync(dead, { recursive: true, force: true });
    },
  };
  return custom;
}

async function createLockDir(lockPath: string, owner: Owner): Promise<void> {
  const dir = path.dirname(lockPath);
  const fresh = path.join(dir, `${NEW_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(fresh);
  try {
    await fs.writeFile(path.join(fresh, OWNER), JSON.stringify({ ...owner, since: new Date().toISOString() }));
    await fs.rename(fresh, lockPath);
  } catch (e) {
    await fs.rm(fresh, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM') throw Object.assign(new Error(`${lockPath} exists`), { code: 'EEXIST' });
    throw e;
  }
}

/**
 * Our lock, renamed aside and then deleted. Should it have been taken over while our refreshes
 * stalled, what we moved is the new holder's, and it goes back.
 */
async function removeLockDir(lockPath: string, owner: Owner): Promise<void> {
  const dead = path.join(path.dirname(lockPath), DEAD_PREFIX + randomBytes(4).toString('hex'));
  await fs.rename(lockPath, dead);
  if ((await readOwner(dead))?.token !== owner.token) {
    await fs.rename(dead, lockPath).catch(() => undefined);
    return;
  }
  await fs.rm(dead, { recursive: true, force: true });
}

/** Breaks the lock when its holder is a dead process on this host, or has not refreshed it for STALE_MS. */
async function breakLockIfAbandoned(modelDir: string): Promise<boolean> {
  const lockPath = path.join(modelDir, LOCK);
  let releaseGuard: () => Promise<void>;
  try {
    // The guard's own staleness is proper-lockfile's: it is held for two file operations.
    releaseGuard = await lockfile.lock(path.join(modelDir, GUARD), { lockfilePath: path.join(modelDir, GUARD), realpath: false, retries: 0, onCompromised: () => undefined });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED') return false;
    throw e;
  }
  const dead = path.join(modelDir, DEAD_PREFIX + randomBytes(4).toString('hex'));
  try {
    const st = await fs.stat(lockPath).catch(() => undefined);
    if (!st) return true; // released meanwhile
    const owner = await readOwner(lockPath);
    const ownerDead = owner !== undefined && owner.host === os.hostname() && !isAlive(owner.pid);
    if (!ownerDead && Date.now() - st.mtimeMs < STALE_MS) return false;
    try {
      await fs.rename(lockPath, dead);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw e;
    }
    // Only a holder waking from a long stall could have swapped the lock since we looked;
    // then what we moved is someone's fresh lock, and it goes back.
    if ((await readOwner(dead))?.token !== owner?.token) {
      await fs.rename(dead, lockPath).catch(() => undefined);
      return false;
    }
  } finally {
    await releaseGuard().catch(() => undefined);
  }
  await fs.rm(dead, { recursive: true, force: true });
  return true;
}

/** Removes lock directories that killed processes left half made or half removed. */
export async function tidyLockLeftovers(modelDir: string): Promise<void> {
  for (const name of await fs.readdir(modelDir)) {
    const pid = name.startsWith(NEW_PREFIX) ? Number(name.slice(NEW_PREFIX.length).split('-')[0]) : undefined;
    if (name.startsWith(DEAD_PREFIX) || (pid !== undefined && !isAlive(pid))) {
      await fs.rm(path.join(modelDir, name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

async function readOwner(lockDir: string): Promise<Owner | undefined> {
  return parseOwner(await fs.readFile(path.join(lockDir, OWNER), 'utf8').catch(() => ''));
}

function readOwnerSync(lockDir: string): Owner | undefined {
  try {
    return parseOwner(readFileSync(path.join(lockDir, OWNER), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Undefined for no lock, or one not made by us: that is judged by its mtime alone. */
function parseOwner(text: string): Owner | undefined {
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.token === 'string' ? (o as Owner) : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process its parent has not reaped yet is a zombie: signal 0 reaches it, yet it holds nothing.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}
