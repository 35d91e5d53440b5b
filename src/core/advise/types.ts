/**
 * The serving advisor's result: how the keys of the requests are distributed, and whether to
 * precompute predictions (static), compute them on request (dynamic), or precompute the popular
 * head and compute the tail (hybrid). Everything here is JSON-serialisable.
 */

export type ServingMode = 'static' | 'dynamic' | 'hybrid';

/**
 * When each mode is recommended. Rules, in order:
 *  1. static  when keys ≤ staticMaxKeys and repeatShare ≥ minRepeatShare: scoring every key is
 *     cheap, and requests come back to keys already seen, so a table built from them answers.
 *  2. hybrid  when the top k keys that cover `targetCoverage` of requests number ≤ cacheMaxKeys
 *     and are ≤ maxHeadFraction of all keys (the traffic is peaked), and repeatShare ≥
 *     minRepeatShare: precompute those k, score the rest on request.
 *  3. dynamic otherwise: a long tail of keys, or keys that rarely repeat.
 */
export interface AdviceThresholds {
  /** Largest number of keys worth precomputing whole (default 100,000: a second of scoring, ~10 MB served). */
  staticMaxKeys: number;
  /** Largest precomputed head for hybrid serving (default 100,000). */
  cacheMaxKeys: number;
  /** Share of requests the hybrid head must cover (default 0.8). */
  targetCoverage: number;
  /** The head may be at most this share of all keys, else the traffic is not peaked (default 0.1). */
  maxHeadFraction: number;
  /** Share of requests whose key was requested before, below which nothing precomputed would be asked again (default 0.5). */
  minRepeatShare: number;
}

export const DEFAULT_THRESHOLDS: AdviceThresholds = {
  staticMaxKeys: 100_000,
  cacheMaxKeys: 100_000,
  targetCoverage: 0.8,
  maxHeadFraction: 0.1,
  minRepeatShare: 0.5,
};

/** Where the keys were read from. */
export type KeySourceInfo =
  | { kind: 'log'; path: string; key: string; field: 'key' | 'inputs'; routes: string[] }
  | { kind: 'data'; path: string; key: string };

export interface CoveragePoint {
  /** The top `k` keys by request count. */
  k: number;
  /** Share of requests they receive, in [0, 1]. */
  coverage: number;
}

export interface RankPoint {
  rank: number;
  /** Requests for the key at this rank. */
  count: number;
}

export interface KeyDistribution {
  /** Requests with a key (rows without one are counted in `withoutKey` and left out). */
  requests: number;
  withoutKey: number;
  /** Distinct keys: the cardinality. */
  keys: number;
  /** Keys requested exactly once. */
  singletons: number;
  /** Requests of the most requested key. */
  maxCount: number;
  /**
   * Share of requests whose key had been requested before: (requests − keys) / requests. The hit
   * rate of a cache that keeps every key after its first request, in any request order: the most
   * any table built from past traffic could answer.
   */
  repeatShare: number;
  /** Shannon entropy of the key distribution, in bits. */
  entropyBits: number;
  /** Entropy / log2(keys): 1 for uniform traffic, near 0 when a few keys get everything (0 with one key). */
  normalizedEntropy: number;
  /** 2^entropy: how many equally popular keys would have the same entropy. */
  effectiveKeys: number;
  /** Coverage of the top k keys for the asked k (k capped at the number of keys). */
  topK: CoveragePoint[];
  /** The fewest top keys that cover each share of requests (0.5, 0.8, 0.95, 0.99 and the target). */
  keysForCoverage: { coverage: number; k: number }[];
  /**
   * Zipf exponent s of count ∝ rank^−s: least squares of log count on log rank over log-spaced
   * ranks whose count is at least 3 (below that, sampling noise flattens the tail). Absent when
   * fewer than 5 such ranks span less than a decade.
   */
  zipf?: { exponent: number; r2: number; ranks: number; maxRank: number };
  /** The coverage curve at log-spaced k (for charts), from 1 to `keys`. */
  curve: CoveragePoint[];
  /** Count by rank at log-spaced ranks (for the rank-frequency chart). */
  ranks: RankPoint[];
  /** Mean key length in characters (for the memory estimate). */
  meanKeyLength: number;
}

export interface ServingAdvice {
  model: string;
  source: KeySourceInfo;
  distribution: KeyDistribution;
  thresholds: AdviceThresholds;
  recommendation: ServingMode;
  /**
   * Keys to precompute: every key for static, the head for hybrid (0 for dynamic), with the share
   * of requests the table answers and an estimate of its memory in the server (a JS Map of key →
   * prediction: ~56 bytes per entry, plus the key, plus 16 bytes per output).
   */
  table: { keys: number; coverage: number; memoryBytes: number };
  /** One paragraph a person understands: what was measured and why this mode. */
  reasoning: string;
  /** Things to check before precomputing (e.g. a key that does not determine the inputs). */
  caveats: string[];
}

export const DEFAULT_TOP_K = [10, 100, 1000, 10000];
export const COVERAGE_TARGETS = [0.5, 0.8, 0.95, 0.99];
