import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { listObjectVersions } from './s3-object-versions';
import { ensureCallsTable } from './table-upgrade';

/*
 * In-process DynamoDB (dynalite) and S3 (s3rver) emulators on loopback, speaking the real AWS
 * protocols: the default of `npm start` and the storage of the integration tests.
 */

/** s3rver accepts only these credentials; dynalite accepts any, so both use them. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
export const LOCAL_REGION = 'us-east-1';

export interface EmulatorOptions {
  /** Keeps data here across restarts. @default - a temporary folder, removed on close */
  readonly dataDir?: string;
  /** @default 0 (any free port) */
  readonly dynamodbPort?: number;
  /** @default 0 (any free port) */
  readonly s3Port?: number;
  /** @default 'calls' */
  readonly tableName?: string;
  /** @default 'calls' */
  readonly bucketName?: string;
  /** Where the one line about a table upgrade goes (a data folder from a version with other indexes). @default console.log */
  readonly log?: (line: string) => void;
}

export interface Emulators {
  readonly dynamodbEndpoint: string;
  readonly s3Endpoint: string;
  readonly tableName: string;
  readonly bucketName: string;
  /** The environment a process (or the Lambda handler) needs to use these emulators. */
  readonly environment: Record<string, string>;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  close(): Promise<void>;
}

/** Starts both emulators, creates (or upgrades) the table as the stack defines it, and the bucket. */
export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const tableName = options.tableName ?? 'calls';
  const bucketName = options.bucketName ?? 'calls';
  const temporaryDir = options.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'elevenlabs-receiver-'));
  const dataDir = options.dataDir ?? (temporaryDir as string);

  const dynamoServer = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    dynamoServer.once('error', reject);
    dynamoServer.listen(options.dynamodbPort ?? 0, '127.0.0.1', () => resolve());
  });
  const s3Server = new S3rver({
    address: '127.0.0.1',
    port: options.s3Port ?? 0,
    silent: true,
    directory: join(dataDir, 's3'),
    configureBuckets: [{ name: bucketName }],
  });
  // First, ahead of s3rver's own routes, which refuse `?versions`.
  s3Server.middleware.unshift(listObjectVersions);
  let s3Port: number;
  try {
    ({ port: s3Port } = await s3Server.run());
  } catch (error) {
    await new Promise((resolve) => dynamoServer.close(resolve));
    throw error;
  }

  const dynamodbEndpoint = `http://127.0.0.1:${(dynamoServer.address() as AddressInfo).port}`;
  const s3Endpoint = `http://127.0.0.1:${s3Port}`;
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: dynamodbEndpoint });
  const s3 = new S3Client({
    ...common,
    endpoint: s3Endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const close = async () => {
    dynamodb.destroy();
    s3.destroy();
    await s3Server.close();
    await new Promise((resolve) => dynamoServer.close(resolve));
    if (temporaryDir) await rm(temporaryDir, { recursive: true, force: true });
  };
  try {
    await ensureCallsTable(dynamodb, tableName, dataDir, options.log ?? ((line) => console.log(line)));
  } catch (error) {
    await close();
    throw error;
  }

  return {
    dynamodbEndpoint,
    s3Endpoint,
    tableName,
    bucketName,
    dynamodb,
    s3,
    environment: {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
      AWS_ENDPOINT_URL_S3: s3Endpoint,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      CALLS_TABLE_NAME: tableName,
      CALLS_BUCKET_NAME: bucketName,
    },
    close,
  };
}
