/**
 * The wire of ETSI GS QKD 014 V1.1.1 (2019-02), "Protocol and data format of
 * REST-based key delivery API": the three calls, their data formats and
 * their errors, shared by `qfl kme` (the KME) and `KmeClient` (an SAE).
 *
 *   GET      /api/v1/keys/{slave_SAE_ID}/status      -> Status          (master SAE)
 *   POST|GET /api/v1/keys/{slave_SAE_ID}/enc_keys    -> Key container   (master SAE; GET: ?number=&size=)
 *   POST|GET /api/v1/keys/{master_SAE_ID}/dec_keys   -> Key container   (slave SAE; GET: ?key_ID=)
 *
 * Sizes are in bits. key_ID is a UUID, key is base64 (RFC 4648). Errors are
 * 400 (bad request format), 401 (unauthorized) and 503 (error on the server
 * side), each with the Error format {message, details?}. The spec's
 * optional extension fields (status_extension, key_ID_extension,
 * key_extension, key_container_extension, key_IDs_extension,
 * extension_optional) are accepted as objects; an extension_mandatory the
 * KME does not support is refused with 400, as the spec asks.
 */

export const API_PREFIX = '/api/v1/keys/';

export const ETSI_CALLS = ['status', 'enc_keys', 'dec_keys'] as const;
export type EtsiCall = (typeof ETSI_CALLS)[number];

/** The spec's status codes for failures. */
export const ETSI_ERROR_STATUS = { badRequest: 400, unauthorized: 401, serverError: 503 } as const;
export type EtsiErrorStatus = (typeof ETSI_ERROR_STATUS)[keyof typeof ETSI_ERROR_STATUS];

/** Status data format (clause 6.1). */
export interface EtsiStatus {
  readonly source_KME_ID: string;
  readonly target_KME_ID: string;
  readonly master_SAE_ID: string;
  readonly slave_SAE_ID: string;
  /** Default key size, bits. */
  readonly key_size: number;
  /** Keys of key_size the KME can deliver to this master for this slave now. */
  readonly stored_key_count: number;
  readonly max_key_count: number;
  readonly max_key_per_request: number;
  readonly max_key_size: number;
  readonly min_key_size: number;
  /** Most additional_slave_SAE_IDs in a request; 0: no key multicast. */
  readonly max_SAE_ID_count: number;
  readonly status_extension?: Record<string, unknown>;
}

/** Key request data format (clause 6.2). */
export interface EtsiKeyRequest {
  readonly number?: number;
  readonly size?: number;
  readonly additional_slave_SAE_IDs?: readonly string[];
  readonly extension_mandatory?: readonly Record<string, unknown>[];
  readonly extension_optional?: readonly Record<string, unknown>[];
}

/** One key of a Key container (clause 6.3). */
export interface EtsiKey {
  readonly key_ID: string;
  readonly key: string;
  readonly key_ID_extension?: Record<string, unknown>;
  readonly key_extension?: Record<string, unknown>;
}

export interface EtsiKeyContainer {
  readonly keys: readonly EtsiKey[];
  readonly key_container_extension?: Record<string, unknown>;
}

/** Key IDs data format (clause 6.4). */
export interface EtsiKeyIds {
  readonly key_IDs: readonly { readonly key_ID: string; readonly key_ID_extension?: Record<string, unknown> }[];
  readonly key_IDs_extension?: Record<string, unknown>;
}

/** Error data format (clause 6.5). */
export interface EtsiError {
  readonly message: string;
  readonly details?: readonly Record<string, unknown>[];
}

/** A failed call: its HTTP status and the spec's Error body. */
export class EtsiCallError extends Error {
  constructor(
    /** 400, 401 or 503 from a KME; a client may also see another HTTP status (404, 405) from a server that is not one. */
    readonly status: EtsiErrorStatus | number,
    readonly body: EtsiError,
  ) {
    super(`${status}: ${body.message}${body.details && body.details.length > 0 ? ` (${JSON.stringify(body.details)})` : ''}`);
    this.name = 'EtsiCallError';
  }
}

export const badRequest = (message: string, ...details: Record<string, unknown>[]): EtsiCallError =>
  new EtsiCallError(400, details.length > 0 ? { message, details } : { message });
export const unauthorized = (message: string, ...details: Record<string, unknown>[]): EtsiCallError =>
  new EtsiCallError(401, details.length > 0 ? { message, details } : { message });
export const serverError = (message: string, ...details: Record<string, unknown>[]): EtsiCallError =>
  new EtsiCallError(503, details.length > 0 ? { message, details } : { message });

/** SAE and KME IDs: short printable names (they also name files and certificate CNs). */
export const SAE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Standard base64 with padding (RFC 4648 section 4). */
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isSaeId(v: unknown): v is string {
  return typeof v === 'string' && SAE_ID_PATTERN.test(v);
}

export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID_PATTERN.test(v);
}

export function isBase64(v: unknown): v is string {
  return typeof v === 'string' && BASE64_PATTERN.test(v);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A route under API_PREFIX: the SAE ID in the path and the call, or undefined when the path is none of the three. */
export function parseRoute(pathname: string): { saeId: string; call: EtsiCall } | undefined {
  if (!pathname.startsWith(API_PREFIX)) return undefined;
  const parts = pathname.slice(API_PREFIX.length).split('/');
  if (parts.length !== 2) return undefined;
  const [rawId, call] = parts as [string, string];
  if (!(ETSI_CALLS as readonly string[]).includes(call)) return undefined;
  let saeId: string;
  try {
    saeId = decodeURIComponent(rawId);
  } catch {
    return undefined;
  }
  return { saeId, call: call as EtsiCall };
}

export function callPath(saeId: string, call: EtsiCall): string {
  return `${API_PREFIX}${encodeURIComponent(saeId)}/${call}`;
}

/** Keys of `obj` outside `allowed`, for the 400 that names them. */
function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[]): string[] {
  return Object.keys(obj).filter((k) => !allowed.includes(k));
}

const KEY_REQUEST_FIELDS = ['number', 'size', 'additional_slave_SAE_IDs', 'extension_mandatory', 'extension_optional'] as const;
const KEY_IDS_FIELDS = ['key_IDs', 'key_IDs_extension'] as const;

function optionalInteger(body: Record<string, unknown>, field: string): number | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badRequest(`${field} must be an integer`, { [field]: v ?? null });
  return v;
}

function optionalObjectArray(body: Record<string, unknown>, field: string): Record<string, unknown>[] | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every(isPlainObject)) throw badRequest(`${field} must be an array of objects`);
  return v;
}

/** A Key request body (POST enc_keys), checked field by field; unknown fields are refused. */
export function parseKeyRequest(body: unknown): EtsiKeyRequest {
  if (!isPlainObject(body)) throw badRequest('the Key request must be a JSON object');
  const extra = unknownKeys(body, KEY_REQUEST_FIELDS);
  if (extra.length > 0) throw badRequest(`unknown field${extra.length > 1 ? 's' : ''} in Key request: ${extra.join(', ')}`, { allowed: [...KEY_REQUEST_FIELDS] });
  const number = optionalInteger(body, 'number');
  const size = optionalInteger(body, 'size');
  const ids = body.additional_slave_SAE_IDs;
  if (ids !== undefined && (!Array.isArray(ids) || !ids.every((s) => typeof s === 'string'))) {
    throw badRequest('additional_slave_SAE_IDs must be an array of strings');
  }
  const mandatory = optionalObjectArray(body, 'extension_mandatory');
  const optional = optionalObjectArray(body, 'extension_optional');
  return {
    ...(number !== undefined ? { number } : {}),
    ...(size !== undefined ? { size } : {}),
    ...(ids !== undefined ? { additional_slave_SAE_IDs: ids as string[] } : {}),
    ...(mandatory !== undefined ? { extension_mandatory: mandatory } : {}),
    ...(optional !== undefined ? { extension_optional: optional } : {}),
  };
}

/** A decimal integer query parameter, strictly (no signs, exponents or spaces). */
function queryInteger(query: URLSearchParams, name: string): number | undefined {
  const all = query.getAll(name);
  if (all.length === 0) return undefined;
  if (all.length > 1) throw badRequest(`query parameter ${name} given ${all.length} times`);
  const raw = all[0]!;
  if (!/^[0-9]{1,9}$/.test(raw)) throw badRequest(`query parameter ${name} must be a whole number, got '${raw.slice(0, 32)}'`);
  return Number(raw);
}

function onlyQuery(query: URLSearchParams, allowed: readonly string[]): void {
  const extra = [...new Set([...query.keys()].filter((k) => !allowed.includes(k)))];
  if (extra.length > 0) throw badRequest(`unknown query parameter${extra.length > 1 ? 's' : ''}: ${extra.map((k) => k.slice(0, 32)).join(', ')}`, { allowed: [...allowed] });
}

/** GET enc_keys: number and size as query parameters (the spec's simple form). */
export function parseKeyRequestQuery(query: URLSearchParams): EtsiKeyRequest {
  onlyQuery(query, ['number', 'size']);
  const number = queryInteger(query, 'number');
  const size = queryInteger(query, 'size');
  return { ...(number !== undefined ? { number } : {}), ...(size !== undefined ? { size } : {}) };
}

/** A Key IDs body (POST dec_keys): at least one key_ID, each a UUID, none twice. */
export function parseKeyIds(body: unknown, maxIds: number): string[] {
  if (!isPlainObject(body)) throw badRequest('the Key IDs body must be a JSON object');
  const extra = unknownKeys(body, KEY_IDS_FIELDS);
  if (extra.length > 0) throw badRequest(`unknown field${extra.length > 1 ? 's' : ''} in Key IDs: ${extra.join(', ')}`, { allowed: [...KEY_IDS_FIELDS] });
  if (body.key_IDs_extension !== undefined && !isPlainObject(body.key_IDs_extension)) throw badRequest('key_IDs_extension must be an object');
  const list = body.key_IDs;
  if (!Array.isArray(list) || list.length === 0) throw badRequest('key_IDs must be a non-empty array of {key_ID}');
  if (list.length > maxIds) throw badRequest(`key_IDs holds ${list.length} entries; at most ${maxIds} (max_key_per_request) per request`);
  const ids = list.map((entry, k) => {
    if (!isPlainObject(entry)) throw badRequest(`key_IDs[${k}] must be an object {key_ID}`);
    const bad = unknownKeys(entry, ['key_ID', 'key_ID_extension']);
    if (bad.length > 0) throw badRequest(`unknown field in key_IDs[${k}]: ${bad.join(', ')}`);
    if (entry.key_ID_extension !== undefined && !isPlainObject(entry.key_ID_extension)) throw badRequest(`key_IDs[${k}].key_ID_extension must be an object`);
    if (!isUuid(entry.key_ID)) throw badRequest(`key_IDs[${k}].key_ID must be a UUID`, { key_ID: typeof entry.key_ID === 'string' ? entry.key_ID.slice(0, 64) : null });
    return entry.key_ID.toLowerCase();
  });
  return checkDistinct(ids);
}

/** GET dec_keys: one key_ID as a query parameter. */
export function parseKeyIdsQuery(query: URLSearchParams): string[] {
  onlyQuery(query, ['key_ID']);
  const all = query.getAll('key_ID');
  if (all.length !== 1) throw badRequest(`GET dec_keys takes exactly one key_ID query parameter, got ${all.length}; POST a Key IDs body for more`);
  if (!isUuid(all[0])) throw badRequest('key_ID must be a UUID', { key_ID: String(all[0]).slice(0, 64) });
  return [all[0].toLowerCase()];
}

function checkDistinct(ids: string[]): string[] {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw badRequest('a key_ID appears twice in one request', { key_ID: id });
    seen.add(id);
  }
  return ids;
}

// ------------------------------------------------ responses, client side ----

function fieldError(what: string, detail: string): Error {
  return new Error(`KME answer: ${what}: ${detail}`);
}

const STATUS_STRINGS = ['source_KME_ID', 'target_KME_ID', 'master_SAE_ID', 'slave_SAE_ID'] as const;
const STATUS_INTEGERS = ['key_size', 'stored_key_count', 'max_key_count', 'max_key_per_request', 'max_key_size', 'min_key_size', 'max_SAE_ID_count'] as const;

/** A Status answer, checked: every field of clause 6.1 present with its type. */
export function parseStatus(body: unknown): EtsiStatus {
  if (!isPlainObject(body)) throw fieldError('Status', 'not a JSON object');
  for (const f of STATUS_STRINGS) if (typeof body[f] !== 'string') throw fieldError(`Status.${f}`, 'missing or not a string');
  for (const f of STATUS_INTEGERS) {
    const v = body[f];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw fieldError(`Status.${f}`, 'missing or not a non-negative integer');
  }
  if (body.status_extension !== undefined && !isPlainObject(body.status_extension)) throw fieldError('Status.status_extension', 'not an object');
  return body as unknown as EtsiStatus;
}

/** A Key container answer, checked: UUID key_IDs, base64 keys. */
export function parseKeyContainer(body: unknown): EtsiKeyContainer {
  if (!isPlainObject(body) || !Array.isArray(body.keys)) throw fieldError('Key container', 'not an object with a keys array');
  body.keys.forEach((k: unknown, i: number) => {
    if (!isPlainObject(k)) throw fieldError(`keys[${i}]`, 'not an object');
    if (!isUuid(k.key_ID)) throw fieldError(`keys[${i}].key_ID`, 'not a UUID');
    if (!isBase64(k.key)) throw fieldError(`keys[${i}].key`, 'not base64');
  });
  return body as unknown as EtsiKeyContainer;
}

/** An Error answer, or a stand-in naming the status when the body is not one. */
export function parseError(status: number, body: unknown): EtsiError {
  if (isPlainObject(body) && typeof body.message === 'string') {
    const details = Array.isArray(body.details) ? body.details.filter(isPlainObject) : undefined;
    return details !== undefined ? { message: body.message, details } : { message: body.message };
  }
  return { message: `HTTP ${status} without an ETSI Error body` };
}
