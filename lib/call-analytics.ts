import { Aws, Duration, Size, Stack, Token } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { IEventBus } from 'aws-cdk-lib/aws-events';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { Grant, ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CALL_COLUMNS, CALL_ROWS_PREFIX, PARTITION_COLUMN, type ColumnType } from '../lambda/analytics/call-row';
import { NAMED_QUERIES } from './calls/sql/named-queries';
import { acknowledge, nagResourceName } from './nag-acknowledgements';
import { receiverFunction } from './receiver-function';

/*
 * Calls flow out (issue 14): the calls table's stream carried to an analytics row per call in S3
 * and an EventBridge event per change that matters ({@link CallAnalytics}), and SQL over those rows
 * with Athena ({@link CallsSql}). The function itself is lambda/analytics/stream-handler.ts.
 */

/** Where Athena writes query results in the calls bucket; they expire after {@link ATHENA_RESULTS_DAYS}. */
export const ATHENA_RESULTS_PREFIX = 'athena-results/';
/** Query results (which may quote phone numbers and summaries) are kept this long. */
export const ATHENA_RESULTS_DAYS = 7;
/** The first day the partition projection knows; ElevenLabs' Conversational AI came later. */
export const FIRST_CALL_DAY = '2023-01-01';
/** The Glue table's name, under the receiver's database. */
export const CALLS_TABLE = 'calls';

/** The Glue (Hive) type of a row column: JSON text is a string to SQL (`json_extract` reads it). */
export function glueType(type: ColumnType): string {
  return type === 'json' ? 'string' : type;
}

export interface CallAnalyticsProps {
  /** The calls table; its stream must carry new and old images. */
  readonly table: ITable;
  /** The calls bucket: rows go under `analytics/calls/`. */
  readonly bucket: IBucket;
  /** Write each call's analytics row (and move and remove it). */
  readonly rows: boolean;
  /** Publish call events to this bus. @default - no events */
  readonly eventBus?: IEventBus;
  readonly logRetention: RetentionDays;
}

/**
 * The calls table's change stream, consumed by one function: for each changed call, its row for
 * SQL under `analytics/calls/start_date=YYYY-MM-DD/` (written, moved to its new day, removed with
 * its item; every version purged after a deletion) and its events on EventBridge. Batches are
 * bisected on error and the first failed record reported, so one bad record holds back only itself;
 * a batch that still fails after the retries, or grows too old, is recorded in a dead-letter queue.
 */
export class CallAnalytics extends Construct {
  /** The stream function. */
  public readonly streamFunction: LambdaFunction;
  /** Receives what the stream function gave up on: the shard and sequence numbers, not the records. */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: CallAnalyticsProps) {
    super(scope, id);
    if (!props.table.tableStreamArn) throw new Error('CallAnalytics needs the table to have a stream (NEW_AND_OLD_IMAGES)');
    if (!props.rows && !props.eventBus) throw new Error('CallAnalytics with neither rows nor events would do nothing: leave it out');

    const environment: Record<string, string> = { CALLS_BUCKET_NAME: props.bucket.bucketName };
    if (!props.rows) environment.ANALYTICS_ROWS = 'false';
    // PutEvents takes a bus's name or ARN; the ARN also reaches a bus in another account.
    if (props.eventBus) environment.EVENT_BUS_NAME = props.eventBus.eventBusArn;
    // A batch of 100 changes is a few hundred S3 and EventBridge requests, done one record after another.
    this.streamFunction = receiverFunction(this, 'StreamFunction', {
      entry: 'analytics/stream-handler.ts',
      memorySize: 512,
      timeout: Duration.minutes(2),
      environment,
      logRetention: props.logRetention,
    });

    // 14 days: the time to read what failed, fix it, and write those calls' rows again (calls export).
    this.deadLetterQueue = new Queue(this, 'Failed', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself a dead-letter queue: the on-failure destination of the stream function\'s event source mapping (Lambda sends it what it gave up on).',
    );
    this.streamFunction.addEventSource(
      new DynamoEventSource(props.table, {
        // From the oldest record the stream holds (24 h): nothing written since the stream began is skipped.
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(12),
        onFailure: new SqsDlq(this.deadLetterQueue),
      }),
    );
    // The event source grants DescribeStream, GetRecords and GetShardIterator on the stream, and ListStreams.
    acknowledge(
      this.streamFunction.role!,
      'AwsSolutions-IAM5[Resource::*]',
      'dynamodb:ListStreams (granted by the DynamoDB event source for Lambda\'s poller) has no resource-level permissions: IAM requires "*". Everything else is on named resources or prefixes.',
    );

    if (props.rows) {
      // Rows are written, moved (the old day's copy deleted) and their versions purged after a
      // deletion (ListObjectVersions, then DeleteObjects, which checks both delete actions per key).
      Grant.addToPrincipal({
        grantee: this.streamFunction,
        actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
        resourceArns: [props.bucket.arnForObjects(`${CALL_ROWS_PREFIX}*`)],
      });
      Grant.addToPrincipal({
        grantee: this.streamFunction,
        actions: ['s3:ListBucketVersions'],
        resourceArns: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${CALL_ROWS_PREFIX}*`] } },
      });
      acknowledge(
        this.streamFunction.role!,
        `AwsSolutions-IAM5[Resource::${nagResourceName(this, props.bucket.bucketArn)}/${CALL_ROWS_PREFIX}*]`,
        `A call's row is written, moved and deleted under ${CALL_ROWS_PREFIX}, at a key known only per call; nothing outside that prefix is allowed.`,
      );
    }
    if (props.eventBus) props.eventBus.grantPutEventsTo(this.streamFunction);
  }
}

/** A query saved in the workgroup (lib/calls/sql/named-queries.ts has the defaults, with DuckDB's text too). */
export interface CallsNamedQuery {
  /** Lower case, digits and `_`. */
  readonly name: string;
  /** What it answers (Athena keeps up to 1,024 characters). */
  readonly description: string;
  /** The text Athena runs (Trino SQL). */
  readonly athena: string;
}

export interface CallsSqlProps {
  /** The calls bucket: the rows under `analytics/calls/`, query results under `athena-results/`. */
  readonly bucket: Bucket;
  /**
   * Athena cancels a query of the workgroup that scans more than this.
   * @default Size.gibibytes(10)
   */
  readonly bytesScannedCutoffPerQuery?: Size;
  /** Saved in the workgroup, each with its Athena text. @default NAMED_QUERIES: the questions the README answers */
  readonly namedQueries?: CallsNamedQuery[];
  /**
   * The Glue database, also the workgroup's name: lower-case letters, digits and underscores.
   * @default - from the stack's name and the receiver's path in it: {@link defaultDatabaseName}
   */
  readonly databaseName?: string;
}

/**
 * The stack's name (unique in the account and region, like Glue databases and workgroups) and the
 * path of `scope` in it, each part left out where the one before ends with it (as the CDK's own
 * names do), lower-cased for Athena: stack `ElevenLabsWebhookReceiver` with its `Receiver` →
 * `elevenlabswebhookreceiver`; stack `calls-prod` with `Receiver` → `calls_prod_receiver`.
 */
export function defaultDatabaseName(scope: Construct): string {
  const stack = Stack.of(scope);
  const parts = [stack.stackName, ...scope.node.scopes.slice(stack.node.scopes.length).map((s) => s.node.id)];
  const kept = parts.filter((part, i) => i === 0 || !parts[i - 1].endsWith(part));
  return kept.join('_').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
}

/**
 * SQL over every call, with no server: a Glue database and `calls` table over the rows under
 * `analytics/calls/` (JSON lines, partitioned by start day through partition projection: no
 * crawler, no partitions to add), and an Athena workgroup whose settings are enforced: results in
 * the calls bucket under `athena-results/` (SSE-S3, expiring), a scan limit per query, the named
 * queries. `readerPolicy` is what a person or role needs to query it.
 */
export class CallsSql extends Construct {
  public readonly databaseName: string;
  public readonly tableName = CALLS_TABLE;
  public readonly workGroupName: string;
  /** Running queries in the workgroup and reading their results: attach it to whoever queries the calls. */
  public readonly readerPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: CallsSqlProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.databaseName = props.databaseName ?? defaultDatabaseName(scope);
    if (!Token.isUnresolved(this.databaseName) && !/^[a-z0-9_]{1,255}$/.test(this.databaseName)) {
      throw new Error(`databaseName must be lower-case letters, digits and underscores: ${this.databaseName}`);
    }
    this.workGroupName = this.databaseName;
    const cutoff = props.bytesScannedCutoffPerQuery ?? Size.gibibytes(10);
    const cutoffBytes = cutoff.toBytes();
    if (cutoffBytes < 10 * 1024 * 1024) throw new Error('bytesScannedCutoffPerQuery must be at least 10 MB (Athena\'s minimum)');

    const bucket = props.bucket;
    const rowsLocation = `s3://${bucket.bucketName}/${CALL_ROWS_PREFIX}`;
    const database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: this.databaseName, description: 'ElevenLabs calls stored by the webhook receiver' },
    });
    new CfnTable(this, 'CallsTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: database.ref,
      tableInput: {
        name: CALLS_TABLE,
        description: 'One row per call, its latest state (lambda/analytics/call-row.ts)',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: PARTITION_COLUMN.name, type: PARTITION_COLUMN.type, comment: PARTITION_COLUMN.comment }],
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'json',
          // Partition projection: Athena computes the day prefixes from the query's start_date
          // condition (or every day in the range), so no partition is ever added to the catalog.
          'projection.enabled': 'true',
          [`projection.${PARTITION_COLUMN.name}.type`]: 'date',
          [`projection.${PARTITION_COLUMN.name}.format`]: 'yyyy-MM-dd',
          // A day past today (UTC) too, for a call started just after midnight in a clock ahead.
          [`projection.${PARTITION_COLUMN.name}.range`]: `${FIRST_CALL_DAY},NOW+1DAYS`,
          [`projection.${PARTITION_COLUMN.name}.interval`]: '1',
          [`projection.${PARTITION_COLUMN.name}.interval.unit`]: 'DAYS',
          'storage.location.template': `${rowsLocation}${PARTITION_COLUMN.name}=\${${PARTITION_COLUMN.name}}/`,
        },
        storageDescriptor: {
          location: rowsLocation,
          columns: CALL_COLUMNS.map((column) => ({ name: column.name, type: glueType(column.type), comment: column.comment })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          // The Hive JSON SerDe: timestamps as 'yyyy-MM-dd HH:mm:ss.SSS' (the rows' form) by default;
          // Athena documents that the OpenX SerDe's results can be non-deterministic.
          serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
        },
      },
    });

    bucket.addLifecycleRule({
      id: 'expire-athena-results',
      prefix: ATHENA_RESULTS_PREFIX,
      expiration: Duration.days(ATHENA_RESULTS_DAYS),
      noncurrentVersionExpiration: Duration.days(1),
    });
    const workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'SQL over the calls stored by the ElevenLabs webhook receiver',
      state: 'ENABLED',
      // Deleting the stack deletes the workgroup with its named queries and query history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoffBytes,
        engineVersion: { selectedEngineVersion: 'AUTO' },
        resultConfiguration: {
          outputLocation: `s3://${bucket.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          expectedBucketOwner: Aws.ACCOUNT_ID,
        },
      },
    });
    const seen = new Set<string>();
    for (const query of props.namedQueries ?? NAMED_QUERIES) {
      if (seen.has(query.name)) throw new Error(`two named queries are called ${query.name}`);
      seen.add(query.name);
      const pascal = query.name.replace(/(?:^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, c: string) => c.toUpperCase());
      new CfnNamedQuery(this, `Query${pascal}`, {
        name: query.name,
        description: query.description,
        database: database.ref,
        workGroup: workGroup.ref,
        queryString: query.athena,
      });
    }

    // Athena reads and writes S3 with the caller's own credentials: the policy carries both.
    // A stack's ARN ends in an id CloudFormation picks at creation: every stack of this name.
    const stackArn = stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*` });
    this.readerPolicy = new ManagedPolicy(this, 'ReaderPolicy', {
      description: 'Query the calls with Athena (workgroup, Glue table, rows) and read the results',
      statements: [
        new PolicyStatement({
          sid: 'RunQueries',
          actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup', 'athena:ListNamedQueries', 'athena:GetNamedQuery', 'athena:BatchGetNamedQuery'],
          resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName })],
        }),
        new PolicyStatement({
          sid: 'ReadTable',
          actions: ['glue:GetDatabase', 'glue:GetTable'],
          resources: [stack.formatArn({ service: 'glue', resource: 'catalog' }), stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }), stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/${CALLS_TABLE}` })],
        }),
        new PolicyStatement({ sid: 'ReadRows', actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${CALL_ROWS_PREFIX}*`)] }),
        new PolicyStatement({
          sid: 'WriteResults',
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          resources: [bucket.arnForObjects(`${ATHENA_RESULTS_PREFIX}*`)],
        }),
        new PolicyStatement({
          sid: 'ListRowsAndResults',
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${CALL_ROWS_PREFIX}*`, `${ATHENA_RESULTS_PREFIX}*`] } },
        }),
        new PolicyStatement({ sid: 'FindBucket', actions: ['s3:GetBucketLocation'], resources: [bucket.bucketArn] }),
        // `calls sql --stack` finds the workgroup and database in the stack's outputs.
        new PolicyStatement({ sid: 'ReadStackOutputs', actions: ['cloudformation:DescribeStacks'], resources: [stackArn] }),
      ],
    });
    acknowledge(
      this.readerPolicy,
      `AwsSolutions-IAM5[Resource::${nagResourceName(this, stackArn)}]`,
      'A stack\'s ARN ends in an id CloudFormation gives it at creation; the name fixes the stack, and DescribeStacks only reads it.',
    );
    for (const prefix of [CALL_ROWS_PREFIX, ATHENA_RESULTS_PREFIX]) {
      acknowledge(
        this.readerPolicy,
        `AwsSolutions-IAM5[Resource::${nagResourceName(this, bucket.bucketArn)}/${prefix}*]`,
        `Athena reads every call's row under ${CALL_ROWS_PREFIX} and writes each query's results under ${ATHENA_RESULTS_PREFIX} with the reader's credentials; nothing else in the bucket.`,
      );
    }
  }
}
