import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/emulators';
import { LOCAL_BUCKET_NAME, LOCAL_TABLE_NAME, localPorts } from '../local/local-settings';

/** Where the calls are: the local emulators of `npm start`, or a deployed stack. */
export interface CallsTarget {
  /** Where, for messages: `local emulators (…)`, `stack NAME (table NAME)`, `table NAME`. */
  readonly description: string;
  /** The emulators of `npm start`, rather than AWS. */
  readonly local: boolean;
  readonly tableName: string;
  readonly bucketName?: string;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
}

export interface TargetOptions {
  /** A deployed stack's name: its outputs name the table and bucket. */
  readonly stack?: string;
  /** A deployed table (and bucket), named directly. */
  readonly table?: string;
  readonly bucket?: string;
}

/** The emulators `npm start` runs, on the ports it prints. */
function localTarget(env: NodeJS.ProcessEnv): CallsTarget {
  const { dynamodbPort, s3Port } = localPorts(env);
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  return {
    description: describeTargetOptions({}, env),
    local: true,
    tableName: LOCAL_TABLE_NAME,
    bucketName: LOCAL_BUCKET_NAME,
    dynamodb: new DynamoDBClient({ ...common, endpoint: `http://127.0.0.1:${dynamodbPort}`, maxAttempts: 1 }),
    s3: new S3Client({ ...common, endpoint: `http://127.0.0.1:${s3Port}`, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }),
  };
}

/** The table and bucket a deployed stack printed as outputs. */
async function stackOutputs(stackName: string): Promise<{ table: string; bucket?: string }> {
  const client = new CloudFormationClient({});
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    if (!outputs.CallsTableName) throw new Error(`Stack ${stackName} has no CallsTableName output: is it this project's stack?`);
    return { table: outputs.CallsTableName, bucket: outputs.CallsBucketName };
  } finally {
    client.destroy();
  }
}

/** Where the options point, before anything is read: for messages about failing to get there. */
export function describeTargetOptions(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (options.stack) return `stack ${options.stack}`;
  if (options.table) return `table ${options.table}`;
  const { dynamodbPort, s3Port } = localPorts(env);
  return `local emulators (DynamoDB 127.0.0.1:${dynamodbPort}, S3 127.0.0.1:${s3Port})`;
}

/**
 * What a person needs to know when reading from `where` failed: that npm start is not running
 * (a refused connection to the emulators), which AWS credentials or region are missing, or else
 * the error's name and message.
 */
export function explainReadError(error: unknown, where: string, local: boolean, env: NodeJS.ProcessEnv = process.env): string {
  const { name, message, code } = error as { name?: string; message?: string; code?: unknown };
  const text = String(message ?? error).replace(/\.$/, '');
  const profile = env.AWS_PROFILE ? ` (AWS_PROFILE=${env.AWS_PROFILE})` : '';
  if (local && code === 'ECONNREFUSED') return `Nothing answers at the ${where}: is npm start running? (--stack NAME reads a deployed stack.)`;
  if (!local && /region is missing|missing region/i.test(text)) {
    return `Cannot read ${where}: no AWS region${profile}.\nSet AWS_REGION (e.g. AWS_REGION=eu-west-1), or a region in your profile (aws configure; AWS_PROFILE picks the profile).`;
  }
  if (!local && (name === 'CredentialsProviderError' || /credentials/i.test(text))) {
    return `Cannot read ${where}: no AWS credentials${profile}: ${text}.\nSet AWS_PROFILE to a profile made by aws configure (or aws sso login), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`;
  }
  if (!local && /AccessDenied|Forbidden/.test(name ?? '')) {
    return `Not allowed to read ${where}${profile}: ${text}.\nReading calls takes dynamodb:Query, GetItem and BatchGetItem on the table and its indexes, and s3:GetObject and s3:ListBucket on the bucket (README: Reading calls from AWS).`;
  }
  return `Could not read calls from ${where}: ${name && name !== 'Error' ? `${name}: ` : ''}${String(message ?? error)}`;
}

/** Resolves where to read: a stack or table when named (with the user's AWS credentials), else local. */
export async function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): Promise<CallsTarget> {
  if (!options.stack && !options.table) return localTarget(env);
  const { table, bucket } = options.stack ? await stackOutputs(options.stack) : { table: options.table as string, bucket: options.bucket };
  return {
    description: options.stack ? `stack ${options.stack} (table ${table})` : `table ${table}`,
    local: false,
    tableName: table,
    bucketName: options.bucket ?? bucket,
    dynamodb: new DynamoDBClient({}),
    s3: new S3Client({}),
  };
}
