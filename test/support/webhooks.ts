import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { WebhookRequest } from '../../lambda/process';
import { signPayload } from '../../lambda/signature';

/** The shared signature test vector's secret; every test signs with it. */
export const TEST_SECRET = 'wsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
export const FIXTURES_DIR = join(__dirname, '..', 'fixtures', 'elevenlabs');

/** The example payloads, by file name without `.json`. */
export function loadExample(name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, `${name}.json`), 'utf8'));
}

export function exampleNames(): string[] {
  return readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
}

export const nowSecs = () => Math.floor(Date.now() / 1000);

/** A body (JSON-encoded unless already text) and its ElevenLabs-Signature, as the flow receives them. */
export function signedRequest(body: string | object, options: { secret?: string; timestamp?: number } = {}): WebhookRequest {
  const rawBody = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { rawBody, signatureHeader: signPayload(options.secret ?? TEST_SECRET, rawBody, options.timestamp ?? nowSecs()) };
}

/** The feature flags of cdk.json, so tests synthesize the template `cdk synth` deploys. */
export const CDK_JSON_CONTEXT = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;

/** An HTTP API (payload 2.0) event carrying a signed body, as API Gateway hands it to Lambda. */
export function signedApiEvent(
  body: string | object,
  options: { secret?: string; timestamp?: number; base64?: boolean; header?: string } = {},
): APIGatewayProxyEventV2 {
  const { rawBody, signatureHeader } = signedRequest(body, options);
  const raw = rawBody.toString();
  const signature = options.header ?? signatureHeader;
  return {
    version: '2.0',
    routeKey: 'POST /elevenlabs/webhook',
    rawPath: '/elevenlabs/webhook',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'elevenlabs-signature': signature },
    requestContext: { requestId: 'test-request', http: { method: 'POST', path: '/elevenlabs/webhook' } } as APIGatewayProxyEventV2['requestContext'],
    body: options.base64 ? Buffer.from(raw).toString('base64') : raw,
    isBase64Encoded: Boolean(options.base64),
  };
}
