/**
 * The JSON text of the row of a single-row body, as the client sent it, so that a prediction log
 * line quotes the row instead of serializing the parsed object again (JSON.stringify of the row
 * was about 0.7 µs of a single-row request's own 6.9 µs, measured in-process).
 *
 * The caller vouches that the text parsed to an object whose only key is "instances", a list of
 * one object: then the first '[' opens the list and the last ']' closes it, and what lies between
 * is the row. Undefined when the log could not quote it as it is: a line break between tokens
 * would split the JSONL line, and a bare NaN or Infinity (read by jsonBody.ts, not JSON) must be
 * written as JSON.stringify writes it. Several rows are left to JSON.stringify too: finding their
 * spans takes a scan in JavaScript that costs as much as serializing them natively.
 */
export function singleInstanceText(text: string): string | undefined {
  const open = text.indexOf('[');
  const close = text.lastIndexOf(']');
  if (open < 0 || close <= open) return undefined;
  const row = text.slice(open + 1, close).trim();
  if (row.charCodeAt(0) !== 123 || row.charCodeAt(row.length - 1) !== 125) return undefined;
  if (row.includes('\n') || row.includes('\r') || row.includes('NaN') || row.includes('Infinity')) return undefined;
  return row;
}
