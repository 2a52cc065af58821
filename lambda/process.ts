import { ConfigurationError, describeError, PayloadError, SignatureError, StorageError } from './errors';
import { readJson, toWebhookEvent, type WebhookEvent } from './events';
import { rawEventKey } from './object-keys';
import { toCallWrite, type CallWrite } from './records';
import { checkSignatureTime, matchingSignature, MISMATCH_MESSAGE, parseSignatureHeader, rawBodyBytes, type RawBody } from './signature';
import type { CallStore } from './storage';
import { nonEmptyText } from './storable';
import type { CallUpdate } from './call-item';

/** A webhook request reduced to what the flow needs; adapters (Lambda, local server) build it. */
export interface WebhookRequest {
  /** The body exactly as received (already base64-decoded when API Gateway encoded it). */
  readonly rawBody: RawBody;
  readonly signatureHeader: string | undefined;
  /** The caller's address as API Gateway saw it. */
  readonly sourceIp?: string;
}

export interface WebhookResponse {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
}

/** One structured log line per request, from an allow-list of fields: never payload content. */
export interface RequestLog {
  outcome: string;
  status_code: number;
  body_bytes: number;
  type?: string;
  conversation_id?: string;
  agent_id?: string;
  stored_bytes?: number;
  /** Whether an audio check through the ElevenLabs API was queued for this call. */
  audio_check?: 'scheduled' | 'not_scheduled';
  error_name?: string;
  error_reason?: string;
  error_message?: string;
}

/**
 * The webhook secret; throws ConfigurationError when unset or unreadable. `refresh` asks for the
 * stored value rather than a cached one (the provider may limit how often it obliges).
 */
export type SecretSource = (options?: { refresh?: boolean }) => Promise<string>;

export interface ProcessDependencies {
  readonly getSecret: SecretSource;
  readonly store: CallStore;
  readonly now: () => Date;
  readonly toleranceSeconds?: number;
  readonly futureToleranceSeconds?: number;
  /** When set, items expire this many days after their last update. */
  readonly retentionDays?: number;
  /**
   * With API reconciliation on: asks for the call's audio to be checked later (fetched through the
   * API if its webhook never came, as for recordings too large for API Gateway).
   */
  readonly scheduleAudioCheck?: (conversationId: string) => Promise<void>;
  /** When set, requests from any other address are refused (403) before anything else. */
  readonly allowedSourceIps?: { has(ip: string): boolean };
}

/** What storing an event did, for the answer and the log. */
interface StoreResult {
  /** `store_error`: DynamoDB refused the update, so only a minimal item records the call. */
  readonly outcome: 'stored' | 'duplicate' | 'ignored' | 'store_error';
  /** With `store_error`: why DynamoDB refused (for the log; the answer is still 200). */
  readonly error?: StorageError;
  /** With the first delivery of a transcription or failure for the call: its facts, for per-call metrics. */
  readonly call?: CallFacts;
}

/** What a call's first transcription or failure says, for per-call metrics (no personal data). */
export interface CallFacts {
  readonly type: 'post_call_transcription' | 'call_initiation_failure';
  readonly agent_id?: string;
  readonly call_duration_secs?: number;
  readonly cost?: number;
  readonly cost_fiat?: number;
  readonly call_successful?: string;
  readonly tool_errors?: number;
  readonly failure_reason?: string;
}

/**
 * The delivery as an event, and what storing it takes. A body that is neither (not JSON, not a
 * valid event, audio that is not base64) is archived whole before the error is answered: whatever
 * was signed is kept, so it can be replayed once it can be read.
 */
async function readDelivery(request: WebhookRequest, body: { json: unknown } | undefined, rawKey: string, signedAt: number, deps: ProcessDependencies) {
  try {
    const event = toWebhookEvent(body, signedAt, deps.futureToleranceSeconds);
    return { event, write: toCallWrite(event, rawKey, body?.json) };
  } catch (error) {
    await deps.store.putObject(rawKey, request.rawBody, 'application/json');
    throw error;
  }
}

/**
 * The item update, once the delivery is archived. When DynamoDB refuses it as invalid, which no
 * retry would change, the call still gets a minimal item pointing at the archive, and the answer
 * is 200: the event is kept, and counted as a store error.
 */
async function storeEvent(event: WebhookEvent, write: CallWrite | undefined, rawKey: string, deps: ProcessDependencies): Promise<StoreResult> {
  if (!write || event.type === 'unknown') return { outcome: 'ignored' };
  const options = { now: deps.now(), retentionDays: deps.retentionDays };
  try {
    const result = await deps.store.applyUpdate(write.update, options);
    if (result === 'stale') return { outcome: 'duplicate' };
    const call = result === 'created' ? callFacts(event.type, write.update) : undefined;
    return { outcome: 'stored', call };
  } catch (error) {
    if (!(error instanceof StorageError && error.permanent)) throw error;
    const { agent_id: agentId } = { ...write.update.setIfMissing, ...write.update.set };
    await deps.store.recordStoreError(
      {
        conversationId: write.update.conversationId,
        agentId: typeof agentId === 'string' ? agentId : undefined,
        eventType: event.type,
        eventTimestamp: event.eventTimestamp,
        rawKey,
        error: describeError(error.cause),
      },
      options,
    );
    return { outcome: 'store_error', error };
  }
}

/** The facts of a call as its item got them (so the counts are the item's, counted once). */
function callFacts(type: WebhookEvent['type'], { set, setIfMissing }: CallUpdate): CallFacts | undefined {
  const value = (name: string) => set[name] ?? setIfMissing[name];
  const number = (name: string) => {
    const found = value(name);
    return typeof found === 'number' ? found : undefined;
  };
  const text = (name: string) => nonEmptyText(value(name));
  if (type === 'post_call_transcription') {
    return { type, agent_id: text('agent_id'), call_duration_secs: number('call_duration_secs'), cost: number('cost'), cost_fiat: number('cost_fiat'), call_successful: text('call_successful'), tool_errors: number('tool_errors') };
  }
  if (type === 'call_initiation_failure') return { type, agent_id: text('agent_id'), failure_reason: text('failure_reason') };
  return undefined;
}

/** What a request came to: the answer, its log line, and (first deliveries only) the call's facts. */
export interface WebhookResult {
  readonly response: WebhookResponse;
  readonly log: RequestLog;
  readonly call?: CallFacts;
}

/** The one place errors become answers. Only HTTP 200 counts as delivered for ElevenLabs. */
function errorResponse(error: unknown): { statusCode: number; error: string } {
  if (error instanceof SignatureError) return { statusCode: 401, error: 'invalid_signature' };
  if (error instanceof PayloadError) return { statusCode: 400, error: 'invalid_payload' };
  if (error instanceof StorageError) return { statusCode: 500, error: 'storage_unavailable' };
  if (error instanceof ConfigurationError) return { statusCode: 500, error: 'not_configured' };
  return { statusCode: 500, error: 'internal_error' };
}

/** Turns any error into its answer; client errors explain themselves, server errors say only their kind. */
export function failedResult(error: unknown, log: RequestLog): WebhookResult {
  const { statusCode, error: code } = errorResponse(error);
  const e = error as Error & { reason?: string };
  // Domain errors' messages are ours and carry no payload; anything else may quote data, so only its name.
  const domain = error instanceof SignatureError || error instanceof PayloadError || error instanceof StorageError || error instanceof ConfigurationError;
  const failedLog = { ...log, outcome: 'rejected', status_code: statusCode, error_name: e?.name, error_reason: e?.reason, error_message: domain ? e.message : undefined };
  const message = error instanceof SignatureError || error instanceof PayloadError ? e.message : undefined;
  return { response: { statusCode, body: { error: code, message } }, log: failedLog };
}

/**
 * Header and time first: they cost nothing, so a forged or stale request never reads the secret.
 * On a mismatch the secret is read afresh once, so a rotation works before the cache expires.
 * @returns the signing time in unix seconds and the verified signature
 */
async function verify(request: WebhookRequest, deps: ProcessDependencies): Promise<{ signedAt: number; signature: string }> {
  const header = parseSignatureHeader(request.signatureHeader);
  checkSignatureTime(header, {
    nowUnixSecs: Math.floor(deps.now().getTime() / 1000),
    toleranceSeconds: deps.toleranceSeconds,
    futureToleranceSeconds: deps.futureToleranceSeconds,
  });
  const cached = await deps.getSecret();
  let signature = matchingSignature(cached, header, request.rawBody);
  if (signature === undefined) {
    const stored = await deps.getSecret({ refresh: true });
    if (stored !== cached) signature = matchingSignature(stored, header, request.rawBody);
  }
  if (signature === undefined) throw new SignatureError('mismatch', MISMATCH_MESSAGE);
  return { signedAt: header.timestamp, signature };
}

/**
 * The answer to a caller outside the allow-list, checked before anything else (a server that sees
 * the caller before the body can answer without reading it); undefined when the caller may call.
 */
export function forbiddenSource(sourceIp: string | undefined, deps: Pick<ProcessDependencies, 'allowedSourceIps'>, bodyBytes: number): WebhookResult | undefined {
  if (!deps.allowedSourceIps || deps.allowedSourceIps.has(sourceIp ?? '')) return undefined;
  return { response: { statusCode: 403, body: { error: 'forbidden_source' } }, log: { outcome: 'forbidden', status_code: 403, body_bytes: bodyBytes } };
}

/**
 * The webhook flow: verify → read → archive → store → answer.
 * Never throws; the log entry describes the request without any of its content.
 */
export async function processWebhook(request: WebhookRequest, deps: ProcessDependencies): Promise<WebhookResult> {
  const log: RequestLog = { outcome: 'rejected', status_code: 500, body_bytes: rawBodyBytes(request.rawBody) };
  const forbidden = forbiddenSource(request.sourceIp, deps, log.body_bytes);
  if (forbidden) return forbidden;
  try {
    const { signedAt, signature } = await verify(request, deps);

    // Filed under its call, if it names one.
    const body = readJson(request.rawBody);
    const rawKey = rawEventKey(signedAt, signature, body?.json);
    const { event, write } = await readDelivery(request, body, rawKey, signedAt, deps);
    log.type = event.type === 'unknown' ? event.originalType.slice(0, 64) : event.type;
    if (event.type !== 'unknown') {
      log.conversation_id = event.data.conversation_id;
      log.agent_id = event.data.agent_id ?? undefined;
    }

    // Archived before the item is written, each byte once: the body as received (a transcription's
    // is its transcript), or an audio event's MP3 and envelope. Any call can be rebuilt from these.
    const archive = write?.archive ?? [{ key: rawKey, body: request.rawBody, contentType: 'application/json' }];
    for (const object of archive) await deps.store.putObject(object.key, object.body, object.contentType);
    const result = await storeEvent(event, write, rawKey, deps);
    const storedBytes = archive.reduce((sum, object) => sum + rawBodyBytes(object.body), 0);
    Object.assign(log, { outcome: result.outcome, status_code: 200, stored_bytes: storedBytes });
    // The receiver's own message, naming the DynamoDB error (never the SDK's, which may quote values).
    if (result.error) Object.assign(log, { error_name: result.error.name, error_reason: result.error.reason, error_message: result.error.message });
    if (deps.scheduleAudioCheck && result.outcome === 'stored' && event.type === 'post_call_transcription' && event.data.has_audio) {
      // The call is stored either way; a check that cannot be queued is left to the hourly backfill.
      log.audio_check = await deps.scheduleAudioCheck(event.data.conversation_id).then(
        () => 'scheduled' as const,
        () => 'not_scheduled' as const,
      );
    }
    return {
      response: { statusCode: 200, body: { status: result.outcome, type: log.type, conversation_id: log.conversation_id } },
      log,
      call: result.call,
    };
  } catch (error) {
    return failedResult(error, log);
  }
}
