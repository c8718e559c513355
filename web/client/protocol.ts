/** Messages between the join page and its Web Worker. */
export type ToWorker = {
  readonly type: 'join';
  /** The server's origin (it serves this page and the Fleet service). */
  readonly baseUrl: string;
  readonly name: string;
  readonly clientIds: number[];
  /** The user's own data file (CSV: features then label per line) instead of the server's partition. */
  readonly csv?: string;
  /** The node's Ed25519 key (PKCS#8 PEM from `qfl certs node NAME`), for servers that require allow-listed keys. */
  readonly keyPem?: string;
};

export type FromWorker =
  | { readonly type: 'run'; readonly name: string; readonly rounds: number; readonly clients: number; readonly parameters: number }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'tasks'; readonly round: number; readonly kind: 'fit' | 'evaluate'; readonly clientIds: number[]; readonly done: boolean }
  | { readonly type: 'done'; readonly fit: number; readonly evaluate: number }
  | { readonly type: 'error'; readonly message: string };
