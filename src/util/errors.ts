/**
 * Errors that name what was wrong and what is allowed. `field` is a dotted path
 * into the input (a config key, an argument name, a line of a QASM file).
 */
export class QflError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'QflError';
  }
}

export function fail(field: string, detail: string): never {
  throw new QflError(field, detail);
}
