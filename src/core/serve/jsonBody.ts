/**
 * Request bodies as JSON, with TF Serving's extension: the bare tokens NaN, Infinity and
 * -Infinity are read as numbers (api_rest "JSON conformance"), so that the input check can refuse
 * them by name instead of the whole body failing to parse. Plain JSON takes the fast path.
 */
import { randomBytes } from 'node:crypto';

const TAG = `prodml-${randomBytes(6).toString('hex')}:`;
/** The marked string once parsed, and as it is written in JSON text (a raw NUL is not valid JSON). */
const MARK = `\u0000${TAG}`;
const MARK_JSON = `\\u0000${TAG}`;
const TOKENS: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** Deeper than any request the API defines (a list of objects of lists); 400k nested brackets fit in 1 MB and cost 200 MB to parse. */
export const MAX_DEPTH = 32;

/**
 * Bodies shorter than this are not scanned: they cannot nest more than 1,000 deep, which costs
 * nothing to parse, and the input check refuses any value nested deeper than an input's list.
 * A single-row request (a few hundred bytes) then pays for one JSON.parse only.
 */
export const DEPTH_SCAN_FROM = 2048;

export class BodyTooDeep extends Error {}

export function parseJsonBody(text: string): unknown {
  if (text.length >= DEPTH_SCAN_FROM && depthOver(text, MAX_DEPTH)) throw new BodyTooDeep(`the body nests deeper than ${MAX_DEPTH} levels of lists and objects; no request to this API does`);
  try {
    return JSON.parse(text);
  } catch (e) {
    const marked = markTokens(text);
    if (marked === undefined) throw e;
    try {
      return JSON.parse(marked, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(MARK) ? TOKENS[v.slice(MARK.length)] : v));
    } catch {
      throw e;
    }
  }
}

/** The text with each bare NaN/Infinity/-Infinity (outside strings) turned into a marked string; undefined when there is none. */
function markTokens(text: string): string | undefined {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === 'N' || c === 'I' || c === '-') {
      const token = c === 'N' ? 'NaN' : c === 'I' ? 'Infinity' : '-Infinity';
      if (text.startsWith(token, i)) {
        out += `${text.slice(from, i)}"${MARK_JSON}${token}"`;
        i += token.length - 1;
        from = i + 1;
      }
    }
  }
  return from === 0 ? undefined : out + text.slice(from);
}

/** Whether brackets outside strings nest deeper than `max`: checked before parsing, so a hostile body costs no memory. */
function depthOver(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}
