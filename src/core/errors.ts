/**
 * Errors the user can act on. Front ends print `message` as is (CLI: stderr + exit 2,
 * VS Code: an error notification); anything else is a bug and keeps its stack.
 */
export type ProdmlErrorKind = 'bad_input' | 'cancelled';

export class ProdmlError extends Error {
  constructor(
    readonly kind: ProdmlErrorKind,
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'ProdmlError';
  }
}

export function badInput(file: string | undefined, problem: string): ProdmlError {
  return new ProdmlError('bad_input', file ? `${file}: ${problem}` : problem, file);
}

export function cancelled(): ProdmlError {
  return new ProdmlError('cancelled', 'Cancelled.');
}

export function isProdmlError(e: unknown): e is ProdmlError {
  return e instanceof Error && e.name === 'ProdmlError' && 'kind' in e;
}
