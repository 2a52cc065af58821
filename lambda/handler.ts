import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { sqsAudioCheckScheduler } from './audio-check-queue';
import { readConfig } from './config';
import { failedResult, processWebhook, type ProcessDependencies, type RequestLog, type WebhookRequest, type WebhookResult } from './process';
import { fixedSecret, secretsManagerSecret } from './secrets';
import { METRICS_NAMESPACE } from './metric-names';
import { recordRequestMetrics } from './request-metrics';
import { SERVICE_NAME } from './service';
import { rawBodyBytes } from './signature';
import { createCallStore, createStorageClients } from './storage';

const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** Built once per cold start from the environment. */
export function createDependencies(env: NodeJS.ProcessEnv): ProcessDependencies {
  const config = readConfig(env);
  const store = createCallStore({
    tableName: config.tableName,
    bucketName: config.bucketName,
    ...createStorageClients(env),
    deletionSweep: config.deletionSweep,
  });
  return {
    getSecret: config.secret !== undefined ? fixedSecret(config.secret) : secretsManagerSecret(config.secretArn as string),
    store,
    now: () => new Date(),
    toleranceSeconds: config.toleranceSeconds,
    futureToleranceSeconds: config.futureToleranceSeconds,
    retentionDays: config.retentionDays,
    scheduleAudioCheck: config.audioCheckQueueUrl ? sqsAudioCheckScheduler(config.audioCheckQueueUrl, config.audioCheckDelaySeconds) : undefined,
    allowedSourceIps: config.allowedSourceIps,
  };
}

/** API Gateway lower-cases header names (HTTP API) or keeps them (REST): match in any case. */
function header(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  const key = Object.keys(headers).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : headers[key];
}

/** The raw bytes as ElevenLabs sent them: the signature covers those, not re-serialized JSON. */
export function toWebhookRequest(event: APIGatewayProxyEventV2): WebhookRequest {
  const body = event.body ?? '';
  return {
    // Text stays text: its UTF-8 encoding is the bytes ElevenLabs signed, and a copy would cost megabytes.
    rawBody: event.isBase64Encoded ? Buffer.from(body, 'base64') : body,
    signatureHeader: header(event.headers, 'elevenlabs-signature'),
    sourceIp: event.requestContext?.http?.sourceIp,
  };
}

/** Writes the request's one log line, at a level that follows the outcome. */
export function logRequest(log: RequestLog & { duration_ms: number; request_id?: string }): void {
  if (log.status_code >= 500) logger.error('webhook', { ...log });
  else if (log.status_code >= 400) logger.warn('webhook', { ...log });
  else logger.info('webhook', { ...log });
}

type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * API Gateway (HTTP API, payload 2.0) → the webhook flow → a small JSON answer. Dependencies are
 * built on first use (a configuration error answers 500 rather than failing the cold start).
 */
export function createHandler(buildDependencies: () => ProcessDependencies): ApiHandler {
  let dependencies: ProcessDependencies | undefined;
  return async (event) => {
    const started = performance.now();
    const request = toWebhookRequest(event);
    let result: WebhookResult;
    try {
      dependencies ??= buildDependencies();
      result = await processWebhook(request, dependencies);
    } catch (error) {
      // Only reading the configuration can throw here; processWebhook itself never does.
      result = failedResult(error, { outcome: 'rejected', status_code: 500, body_bytes: rawBodyBytes(request.rawBody) });
    }
    logRequest({ ...result.log, duration_ms: Math.round(performance.now() - started), request_id: event.requestContext?.requestId });
    recordRequestMetrics(metrics, result);
    return {
      statusCode: result.response.statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(result.response.body),
    };
  };
}

/** The Lambda entry point, configured from the environment the construct sets. */
export const handler = createHandler(() => createDependencies(process.env));
