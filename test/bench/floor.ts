/*
 * The floor with real storage, bundled on its own (esbuild, the options of lib/receiver-function.ts):
 * what any receiver of these webhooks must do, with the receiver's own SDK clients and settings and
 * nothing else. Verify the HMAC, JSON.parse, base64-decode the audio, one S3 PutObject of the bytes a
 * receiver must keep (the body of a transcription, the decoded MP3 of an audio event) and one
 * DynamoDB UpdateItem. It takes the event API Gateway hands to Lambda, like the handler, and builds
 * its clients on the first request, like the handler.
 */
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHmac, timingSafeEqual } from 'node:crypto';

interface ApiEvent {
  readonly body?: string;
  readonly headers?: Record<string, string | undefined>;
}

/** As lambda/storage.ts creates them (written out: this bundle holds the two clients and nothing of the receiver). */
const HTTP_OPTIONS = { connectionTimeout: 2_000, requestTimeout: 6_000, throwOnRequestTimeout: true } as const;
/** The receiver's SILENT_SDK_LOGGER: no info, so the SDK builds no log copy of each request. */
const logger = { trace() {}, debug() {}, warn() {} } as unknown as NonNullable<ConstructorParameters<typeof DynamoDBClient>[0]>['logger'];

let clients: { s3: S3Client; dynamodb: DynamoDBClient; bucket: string; table: string; secret: string } | undefined;

function createClients() {
  const env = process.env;
  return {
    dynamodb: new DynamoDBClient({ requestHandler: HTTP_OPTIONS, logger }),
    s3: new S3Client({ logger, requestHandler: HTTP_OPTIONS, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) }),
    bucket: env.CALLS_BUCKET_NAME as string,
    table: env.CALLS_TABLE_NAME as string,
    secret: env.WEBHOOK_SECRET as string,
  };
}

export async function handler(event: ApiEvent): Promise<{ statusCode: number; body: string }> {
  const c = (clients ??= createClients());
  const body = event.body ?? '';
  const match = /t=(\d+),v0=([0-9a-f]{64})/.exec(event.headers?.['elevenlabs-signature'] ?? '');
  if (!match) return { statusCode: 401, body: '{"error":"invalid_signature"}' };
  const digest = createHmac('sha256', c.secret).update(`${match[1]}.`).update(body).digest();
  if (!timingSafeEqual(digest, Buffer.from(match[2], 'hex'))) return { statusCode: 401, body: '{"error":"invalid_signature"}' };
  const parsed = JSON.parse(body);
  const conversationId = String(parsed.data.conversation_id);
  const audio = parsed.type === 'post_call_audio';
  const key = audio ? `floor/audio/${conversationId}.mp3` : `floor/transcripts/${conversationId}.json`;
  const kept = audio ? Buffer.from(parsed.data.full_audio, 'base64') : body;
  await c.s3.send(new PutObjectCommand({ Bucket: c.bucket, Key: key, Body: kept, ContentType: audio ? 'audio/mpeg' : 'application/json' }));
  await c.dynamodb.send(
    new UpdateItemCommand({
      TableName: c.table,
      Key: { conversation_id: { S: `floor_${conversationId}` } },
      UpdateExpression: 'SET #agent = :agent, #at = :at, #key = :key, #updated = :updated',
      ExpressionAttributeNames: { '#agent': 'agent_id', '#at': audio ? 'audio_event_timestamp' : 'transcription_event_timestamp', '#key': audio ? 'audio_s3_key' : 'transcript_s3_key', '#updated': 'updated_at' },
      ExpressionAttributeValues: { ':agent': { S: String(parsed.data.agent_id) }, ':at': { N: String(parsed.event_timestamp) }, ':key': { S: key }, ':updated': { S: new Date().toISOString() } },
    }),
  );
  return { statusCode: 200, body: '{"status":"stored"}' };
}
