import { badInput } from '../errors';
import { checkModelName } from './layout';

/** A version number, `latest` (the highest number), or an alias written `@production`. */
export type VersionRef = number | 'latest' | `@${string}`;

export interface ModelRef {
  model: string;
  ref: VersionRef;
}

/**
 * `<model>:<version>`, `<model>:latest` or `<model>@<alias>`, as the CLI and prodml.yaml write
 * them. A bare `<model>` means `fallback` when one is given (e.g. `@production` to serve).
 */
export function parseModelRef(spec: string, fallback?: VersionRef): ModelRef {
  const m = /^([^:@]+)(?:([:@])(.*))?$/.exec(spec);
  if (!m) throw badInput(undefined, `'${spec}' is not a model reference: write <model>:<version> or <model>@<alias>`);
  const model = m[1]!;
  checkModelName(model);
  if (m[2] === undefined) {
    if (fallback === undefined) throw badInput(undefined, `'${spec}' names no version: write ${model}:<version>, ${model}:latest or ${model}@<alias>`);
    return { model, ref: fallback };
  }
  return { model, ref: parseVersionRef(m[2] === '@' ? `@${m[3]}` : m[3]!) };
}

/** `3`, `latest` or `@alias` (a number passes through). */
export function parseVersionRef(ref: string | number): VersionRef {
  if (typeof ref === 'number') {
    if (!Number.isSafeInteger(ref) || ref < 1) throw badInput(undefined, `${ref} is not a version: versions are whole numbers from 1`);
    return ref;
  }
  if (ref === 'latest') return 'latest';
  if (ref.startsWith('@') && ref.length > 1) return ref as `@${string}`;
  if (/^[1-9][0-9]*$/.test(ref) && Number.isSafeInteger(Number(ref))) return Number(ref);
  throw badInput(undefined, `'${ref}' is not a version: give a number (3), latest, or an alias (@production)`);
}

export function formatRef(model: string, ref: VersionRef): string {
  return typeof ref === 'number' ? `${model}:${ref}` : ref === 'latest' ? `${model}:latest` : `${model}${ref}`;
}
