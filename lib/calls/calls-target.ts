import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/emulators';
import { LOCAL_BUCKET_NAME, LOCAL_TABLE_NAME, localPorts } from '../local/local-settings';

/** Where the calls are: the local emulators of `npm start`, or a deployed stack. */
export interface CallsTarget {
  readonly description: string;
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
    description: `local emulators (DynamoDB 127.0.0.1:${dynamodbPort}, S3 127.0.0.1:${s3Port}); is npm start running?`,
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

/** Resolves where to read: a stack or table when named (with the user's AWS credentials), else local. */
export async function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): Promise<CallsTarget> {
  if (!options.stack && !options.table) return localTarget(env);
  const { table, bucket } = options.stack ? await stackOutputs(options.stack) : { table: options.table as string, bucket: options.bucket };
  return {
    description: options.stack ? `stack ${options.stack} (table ${table})` : `table ${table}`,
    tableName: table,
    bucketName: options.bucket ?? bucket,
    dynamodb: new DynamoDBClient({}),
    s3: new S3Client({}),
  };
}
