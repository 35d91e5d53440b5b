/**
 * Canary routing: a stable hash of the request key puts each key in [0, 1); keys below the
 * canary percent go to the canary. The same key always lands in the same place, so a user sees
 * one version for as long as the percent and the versions stay, and raising the percent only
 * moves keys from primary to canary, never back.
 */
import { deriveSeed } from '../demo/random';

/** Where `key` falls in [0, 1): FNV-1a mixed with murmur3's finalizer, so similar keys spread evenly. */
export function keyPosition(key: string): number {
  return deriveSeed(0x5eed, key) / 4294967296;
}

export function routesToCanary(key: string, percent: number): boolean {
  return percent > 0 && keyPosition(key) * 100 < percent;
}
