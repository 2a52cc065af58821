import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Size, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { changeActions } from '../lambda/analytics/call-changes';
import { DETAIL_TYPES, EVENT_SOURCE } from '../lambda/analytics/event-names';
import { CALL_COLUMNS, PARTITION_COLUMN } from '../lambda/analytics/call-row';
import { defaultDatabaseName, glueType } from '../lib/call-analytics';
import { CallEvents } from '../lib/call-events';
import { NAMED_QUERIES } from '../lib/calls/sql/named-queries';
import { ElevenLabsWebhookReceiver, type ElevenLabsWebhookReceiverProps } from '../lib/webhook-receiver';
import { synthStack } from './support/synth-stack';
import { CDK_JSON_CONTEXT } from './support/webhooks';

/*
 * Calls flow out (issue 14), as the stack deploys it: the table's stream, the function that
 * consumes it (batching, bisecting, partial batch responses, a dead-letter destination, alarms),
 * its permissions written out in full, the Glue table built from the one column definition, the
 * Athena workgroup, and the props that turn each part off.
 */

const TABLE_ID = 'ReceiverCalls68774C43';
const BUCKET_ID = 'ReceiverArchive27957772';
const BUCKET_ARN = { 'Fn::GetAtt': [BUCKET_ID, 'Arn'] };
const bucketPath = (path: string) => ({ 'Fn::Join': ['', [BUCKET_ARN, path]] });
const s3Url = (path: string) => ({ 'Fn::Join': ['', ['s3://', { Ref: BUCKET_ID }, path]] });
const DEFAULT_BUS_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] };

const only = (template: Template, type: string): [string, any] => {
  const entries = Object.entries(template.findResources(type));
  expect(entries).toHaveLength(1);
  return entries[0] as [string, any];
};
const streamFunction = (template: Template): [string, any] | undefined =>
  Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ReceiverCallAnalyticsStreamFunction')) as [string, any] | undefined;

/** Every Allow statement on the stream function's role, flattened to one action on one resource each. */
function streamGrants(template: Template): { action: string; resource: unknown; condition?: unknown }[] {
  const [, fn] = streamFunction(template)!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const statements = (Object.values(template.findResources('AWS::IAM::Policy')) as any[])
    .filter((policy) => policy.Properties.Roles.some((role: any) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
  for (const statement of statements) {
    expect(statement.Effect).toBe('Allow');
    expect(statement).not.toHaveProperty('NotAction');
    expect(statement).not.toHaveProperty('NotResource');
  }
  return statements.flatMap((s: any) =>
    [s.Action].flat().flatMap((action: string) => [s.Resource].flat().map((resource: unknown) => ({ action, resource, ...(s.Condition ? { condition: s.Condition } : {}) }))),
  );
}

/** A stack holding the receiver (as the receiver's stack does) and what the test imports into it. */
function synthWith(receiver: (scope: Construct) => ElevenLabsWebhookReceiverProps, stackName = 'Test'): Template {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, stackName);
  new ElevenLabsWebhookReceiver(stack, 'Receiver', receiver(stack));
  return Template.fromStack(stack);
}

describe('calls flow out (default: analytics and call events on)', () => {
  const template = synthStack();

  it('gives the calls table a stream of new and old images, on the same table (an in-place update)', () => {
    const [id, table] = only(template, 'AWS::DynamoDB::Table');
    expect(id).toBe(TABLE_ID);
    expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('consumes it in batches, bisecting on error, retrying from the failed record, with a dead-letter destination', () => {
    const [, mapping] = only(template, 'AWS::Lambda::EventSourceMapping');
    const [queueId] = only(template, 'AWS::SQS::Queue');
    expect(mapping.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [TABLE_ID, 'StreamArn'] },
      FunctionName: { Ref: streamFunction(template)![0] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 12 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('keeps the dead letters encrypted, 14 days, reachable over TLS only', () => {
    const [queueId, queue] = only(template, 'AWS::SQS::Queue');
    expect(queue.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86400 });
    const [, policy] = only(template, 'AWS::SQS::QueuePolicy');
    expect(policy.Properties.Queues).toEqual([{ Ref: queueId }]);
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('runs the stream function like the others: Node.js 24, arm64, JSON logs to a retained log group', () => {
    const [, fn] = streamFunction(template)!;
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 512, Timeout: 120, Handler: 'index.handler', LoggingConfig: { LogFormat: 'JSON' } });
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(template.toJSON().Resources[fn.Properties.LoggingConfig.LogGroup.Ref]).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 90 } });
    const variables = fn.Properties.Environment.Variables;
    expect(variables).toMatchObject({ CALLS_BUCKET_NAME: { Ref: BUCKET_ID }, EVENT_BUS_NAME: DEFAULT_BUS_ARN });
    expect(variables.ANALYTICS_ROWS).toBeUndefined();
    expect(Object.keys(variables)).not.toContain('CALLS_TABLE_NAME');
  });

  it('lets the stream function do exactly this: read the stream, put and delete rows under analytics/, list their versions, publish to the default bus, report dead letters', () => {
    const [, fn] = streamFunction(template)!;
    const [queueId] = only(template, 'AWS::SQS::Queue');
    const grants = streamGrants(template);
    const prefixCondition = { StringLike: { 's3:prefix': ['analytics/calls/*'] } };
    expect(grants).toEqual(
      expect.arrayContaining([
        { action: 'logs:CreateLogStream', resource: { 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] } },
        { action: 'logs:PutLogEvents', resource: { 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] } },
      ]),
    );
    expect(grants.filter((g) => !g.action.startsWith('logs:'))).toEqual([
      { action: 'sqs:GetQueueAttributes', resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      { action: 'sqs:GetQueueUrl', resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      { action: 'sqs:SendMessage', resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      // No resource-level permissions exist for ListStreams: "*" is the only resource IAM takes.
      { action: 'dynamodb:ListStreams', resource: '*' },
      { action: 'dynamodb:DescribeStream', resource: { 'Fn::GetAtt': [TABLE_ID, 'StreamArn'] } },
      { action: 'dynamodb:GetRecords', resource: { 'Fn::GetAtt': [TABLE_ID, 'StreamArn'] } },
      { action: 'dynamodb:GetShardIterator', resource: { 'Fn::GetAtt': [TABLE_ID, 'StreamArn'] } },
      { action: 's3:DeleteObject', resource: bucketPath('/analytics/calls/*') },
      { action: 's3:DeleteObjectVersion', resource: bucketPath('/analytics/calls/*') },
      { action: 's3:PutObject', resource: bucketPath('/analytics/calls/*') },
      { action: 's3:ListBucketVersions', resource: BUCKET_ARN, condition: prefixCondition },
      { action: 'events:PutEvents', resource: DEFAULT_BUS_ARN },
    ]);
    expect(grants.filter((g) => g.action.endsWith(':*') || (g.resource === '*' && g.action !== 'dynamodb:ListStreams'))).toEqual([]);
  });

  it('alarms on the stream function: errors, throttles, falling 15 minutes behind, any dead letter', () => {
    const [fnId] = streamFunction(template)!;
    const [queueId] = only(template, 'AWS::SQS::Queue');
    const [topicId] = only(template, 'AWS::SNS::Topic');
    const alarms = (Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[]).map((a) => a.Properties);
    const onFunction = alarms.filter((a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: fnId } }]));
    expect(onFunction.map((a) => [a.MetricName, a.Statistic, a.Threshold]).sort()).toEqual([
      ['Errors', 'Sum', 1],
      ['IteratorAge', 'Maximum', 15 * 60 * 1000],
      ['Throttles', 'Sum', 1],
    ]);
    const deadLetters = alarms.find((a) => a.Namespace === 'AWS/SQS');
    expect(deadLetters).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    });
    for (const alarm of [...onFunction, deadLetters]) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it('declares the Glue table from CALL_COLUMNS, partitioned by start day through projection, over analytics/calls/', () => {
    const [databaseId, database] = only(template, 'AWS::Glue::Database');
    expect(database.Properties).toEqual({ CatalogId: { Ref: 'AWS::AccountId' }, DatabaseInput: { Name: 'test_receiver', Description: expect.any(String) } });
    const [, table] = only(template, 'AWS::Glue::Table');
    expect(table.Properties.DatabaseName).toEqual({ Ref: databaseId });
    const input = table.Properties.TableInput;
    expect(input).toMatchObject({ Name: 'calls', TableType: 'EXTERNAL_TABLE' });
    expect(input.StorageDescriptor.Columns).toEqual(CALL_COLUMNS.map((c) => ({ Name: c.name, Type: glueType(c.type), Comment: c.comment })));
    expect(input.StorageDescriptor.Columns.map((c: any) => c.Type)).not.toContain('json');
    expect(input.PartitionKeys).toEqual([{ Name: 'start_date', Type: 'string', Comment: PARTITION_COLUMN.comment }]);
    expect(input.StorageDescriptor).toMatchObject({
      Location: s3Url('/analytics/calls/'),
      InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
    });
    expect(input.Parameters).toEqual({
      EXTERNAL: 'TRUE',
      classification: 'json',
      'projection.enabled': 'true',
      'projection.start_date.type': 'date',
      'projection.start_date.format': 'yyyy-MM-dd',
      'projection.start_date.range': '2023-01-01,NOW+1DAYS',
      'projection.start_date.interval': '1',
      'projection.start_date.interval.unit': 'DAYS',
      'storage.location.template': s3Url('/analytics/calls/start_date=${start_date}/'),
    });
    template.resourceCountIs('AWS::Glue::Crawler', 0);
  });

  it('maps every column type to one Athena reads: JSON text as string, the rest as named', () => {
    expect(glueType('json')).toBe('string');
    for (const type of ['string', 'bigint', 'double', 'boolean', 'timestamp', 'array<string>', 'map<string,string>'] as const) expect(glueType(type)).toBe(type);
  });

  it('has an Athena workgroup with enforced settings: encrypted results in the bucket, a 10 GiB scan limit, the automatic engine', () => {
    const [, workGroup] = only(template, 'AWS::Athena::WorkGroup');
    expect(workGroup.Properties).toMatchObject({ Name: 'test_receiver', State: 'ENABLED', RecursiveDeleteOption: true });
    expect(workGroup.Properties.WorkGroupConfiguration).toEqual({
      EnforceWorkGroupConfiguration: true,
      PublishCloudWatchMetricsEnabled: true,
      BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
      EngineVersion: { SelectedEngineVersion: 'AUTO' },
      ResultConfiguration: {
        OutputLocation: s3Url('/athena-results/'),
        EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        ExpectedBucketOwner: { Ref: 'AWS::AccountId' },
      },
    });
  });

  it('saves every named query in the workgroup, with its Athena text and the database', () => {
    const [databaseId] = only(template, 'AWS::Glue::Database');
    const [workGroupId] = only(template, 'AWS::Athena::WorkGroup');
    const saved = (Object.values(template.findResources('AWS::Athena::NamedQuery')) as any[]).map((q) => q.Properties);
    expect(NAMED_QUERIES.length).toBeGreaterThan(0);
    expect(saved).toEqual(NAMED_QUERIES.map((q) => ({ Name: q.name, Description: q.description, QueryString: q.athena, Database: { Ref: databaseId }, WorkGroup: { Ref: workGroupId } })));
    for (const query of saved) {
      expect(query.Name.length).toBeLessThanOrEqual(128);
      expect(query.Description.length).toBeLessThanOrEqual(1024);
    }
  });

  it('expires query results after 7 days, their old versions a day later', () => {
    const [, bucket] = Object.entries(template.findResources('AWS::S3::Bucket')).find(([id]) => id === BUCKET_ID)! as [string, any];
    expect(bucket.Properties.LifecycleConfiguration.Rules).toContainEqual({
      Id: 'expire-athena-results', Prefix: 'athena-results/', Status: 'Enabled', ExpirationInDays: 7, NoncurrentVersionExpiration: { NoncurrentDays: 1 },
    });
  });

  it('offers readers a policy: queries in the workgroup, the table, the rows, the results, the stack\'s outputs; nothing else', () => {
    const [, policy] = only(template, 'AWS::IAM::ManagedPolicy');
    expect(policy.Properties.Roles).toBeUndefined();
    const arn = (service: string, resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${resource}`]] });
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'RunQueries',
        Effect: 'Allow',
        Action: ['athena:BatchGetNamedQuery', 'athena:GetNamedQuery', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:GetWorkGroup', 'athena:ListNamedQueries', 'athena:StartQueryExecution', 'athena:StopQueryExecution'],
        Resource: arn('athena', 'workgroup/test_receiver'),
      },
      { Sid: 'ReadTable', Effect: 'Allow', Action: ['glue:GetDatabase', 'glue:GetTable'], Resource: [arn('glue', 'catalog'), arn('glue', 'database/test_receiver'), arn('glue', 'table/test_receiver/calls')] },
      { Sid: 'ReadRows', Effect: 'Allow', Action: 's3:GetObject', Resource: bucketPath('/analytics/calls/*') },
      { Sid: 'WriteResults', Effect: 'Allow', Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'], Resource: bucketPath('/athena-results/*') },
      { Sid: 'ListRowsAndResults', Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET_ARN, Condition: { StringLike: { 's3:prefix': ['analytics/calls/*', 'athena-results/*'] } } },
      { Sid: 'FindBucket', Effect: 'Allow', Action: 's3:GetBucketLocation', Resource: BUCKET_ARN },
      { Sid: 'ReadStackOutputs', Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: arn('cloudformation', 'stack/Test/*') },
    ]);
  });

  it('outputs the Glue database, the workgroup and the reader policy', () => {
    const outputs = template.findOutputs('*');
    expect(outputs.GlueDatabase.Value).toBe('test_receiver');
    expect(outputs.AthenaWorkGroup.Value).toBe('test_receiver');
    expect(outputs.SqlReaderPolicyArn.Value).toEqual({ Ref: only(template, 'AWS::IAM::ManagedPolicy')[0] });
  });
});

describe('turning parts off', () => {
  it('analytics off: no rows, no Glue or Athena, no results rule; the events still flow', () => {
    const template = synthStack({ analytics: false });
    expect(only(template, 'AWS::DynamoDB::Table')[1].Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const [, fn] = streamFunction(template)!;
    expect(fn.Properties.Environment.Variables).toMatchObject({ ANALYTICS_ROWS: 'false', EVENT_BUS_NAME: DEFAULT_BUS_ARN });
    expect(streamGrants(template).filter((g) => g.action.startsWith('s3:'))).toEqual([]);
    expect(streamGrants(template).filter((g) => g.action.startsWith('events:'))).toHaveLength(1);
    for (const type of ['AWS::Glue::Database', 'AWS::Glue::Table', 'AWS::Athena::WorkGroup', 'AWS::Athena::NamedQuery', 'AWS::IAM::ManagedPolicy']) template.resourceCountIs(type, 0);
    const rules = template.toJSON().Resources[BUCKET_ID].Properties.LifecycleConfiguration.Rules as any[];
    expect(rules.map((r) => r.Id)).not.toContain('expire-athena-results');
    for (const output of ['GlueDatabase', 'AthenaWorkGroup', 'SqlReaderPolicyArn']) expect(Object.keys(template.findOutputs('*'))).not.toContain(output);
    expect(() => synthStack({ analytics: false, bytesScannedCutoffPerQuery: Size.gibibytes(1) })).toThrow(/analytics is false/);
  });

  it('call events off: rows and SQL, no bus and no PutEvents', () => {
    const template = synthStack({ callEvents: false });
    const [, fn] = streamFunction(template)!;
    expect(fn.Properties.Environment.Variables.EVENT_BUS_NAME).toBeUndefined();
    expect(fn.Properties.Environment.Variables.ANALYTICS_ROWS).toBeUndefined();
    expect(streamGrants(template).filter((g) => g.action.startsWith('events:'))).toEqual([]);
    template.resourceCountIs('AWS::Glue::Table', 1);
  });

  it('both off: no stream, no stream function, no queue, no alarms of it; the table keeps its logical id', () => {
    const template = synthStack({ analytics: false, callEvents: false });
    const [id, table] = only(template, 'AWS::DynamoDB::Table');
    expect(id).toBe(TABLE_ID);
    expect(table.Properties.StreamSpecification).toBeUndefined();
    expect(streamFunction(template)).toBeUndefined();
    for (const type of ['AWS::Lambda::EventSourceMapping', 'AWS::SQS::Queue', 'AWS::Glue::Table', 'AWS::Athena::WorkGroup']) template.resourceCountIs(type, 0);
    const alarms = JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).not.toMatch(/IteratorAge|CallAnalytics/);
  });

  it('refuses an event bus with call events off', () => {
    expect(() => synthWith((scope) => ({ callEvents: false, eventBus: EventBus.fromEventBusName(scope, 'Bus', 'crm') }))).toThrow(/callEvents is false/);
  });
});

describe('options', () => {
  it('publishes to the event bus given, and may publish nowhere else', () => {
    const busArn = 'arn:aws:events:eu-west-1:111122223333:event-bus/crm';
    const template = synthWith((scope) => ({ eventBus: EventBus.fromEventBusArn(scope, 'Bus', busArn) }));
    expect(streamFunction(template)![1].Properties.Environment.Variables.EVENT_BUS_NAME).toBe(busArn);
    expect(streamGrants(template).filter((g) => g.action.startsWith('events:'))).toEqual([{ action: 'events:PutEvents', resource: busArn }]);
  });

  it('takes another scan limit, not below Athena\'s 10 MB', () => {
    const template = synthStack({ bytesScannedCutoffPerQuery: Size.gibibytes(1) });
    expect(only(template, 'AWS::Athena::WorkGroup')[1].Properties.WorkGroupConfiguration.BytesScannedCutoffPerQuery).toBe(1024 ** 3);
    expect(() => synthStack({ bytesScannedCutoffPerQuery: Size.mebibytes(5) })).toThrow(/at least 10 MB/);
  });

  it('names the database and workgroup after the stack, which is unique in the account and region', () => {
    const named = (stackName: string) => only(synthWith(() => ({}), stackName), 'AWS::Glue::Database')[1].Properties.DatabaseInput.Name;
    expect(named('ElevenLabsWebhookReceiver')).toBe('elevenlabswebhookreceiver');
    expect(named('calls-prod')).toBe('calls_prod_receiver');
    const app = new App();
    const nested = new Construct(new Stack(app, 'Ops'), 'Voice');
    expect(defaultDatabaseName(new Construct(nested, 'Receiver'))).toBe('ops_voice_receiver');
  });
});

describe('the failed-calls rule of the README', () => {
  /** EventBridge's matching for patterns of exact values: every field the pattern names holds one of its values. */
  function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
    return Object.entries(pattern).every(([field, expected]) =>
      Array.isArray(expected) ? expected.includes(event[field]) : typeof event[field] === 'object' && event[field] !== null && matches(expected as Record<string, unknown>, event[field] as Record<string, unknown>),
    );
  }
  /** The events the stream function publishes for a change, as EventBridge delivers them. */
  const published = (before: Record<string, unknown> | undefined, after: Record<string, unknown>) =>
    changeActions(before, after).events.map((e) => ({ source: EVENT_SOURCE, 'detail-type': e.detailType, detail: e.detail }));

  const start = { conversation_id: 'conv_1', agent_id: 'agent_1', start_time_unix_secs: 1_764_000_000 };
  const notConnected = { ...start, failure_reason: 'busy', failure_event_timestamp: 1_764_000_100 };
  const transcribed = { ...start, transcription_event_timestamp: 1_764_000_200, user_turns: 3, status: 'done' };
  const failed = { ...transcribed, status: 'failed', error_code: 1002 };

  /** The README's rule, line for line: failed calls to an SNS topic under a key of the user's. */
  function readmeRule(stack: Stack): void {
    const key = new Key(stack, 'FailedCallsKey', { enableKeyRotation: true });
    key.grantEncryptDecrypt(new ServicePrincipal('events.amazonaws.com'));
    const failedCallsTopic = new Topic(stack, 'FailedCallsTopic', { masterKey: key, enforceSSL: true });
    new Rule(stack, 'FailedCalls', { eventPattern: CallEvents.failedCalls(), targets: [new SnsTopic(failedCallsTopic)] });
  }

  /** The pattern as the README's rule synthesizes it. */
  function synthesizedPattern(): Record<string, unknown> {
    const stack = new Stack(new App(), 'Rules');
    readmeRule(stack);
    return only(Template.fromStack(stack), 'AWS::Events::Rule')[1].Properties.EventPattern;
  }

  it('passes cdk-nag as the README writes it', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'rule-nag-')) });
    readmeRule(new Stack(app, 'Rules'));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      expect(() => app.synth()).not.toThrow();
    } finally {
      rmSync(app.outdir, { recursive: true, force: true });
    }
  });

  it('names the source and detail-types the function publishes', () => {
    expect(synthesizedPattern()).toEqual({ source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.notConnected, DETAIL_TYPES.conversationFailed] });
  });

  it('matches a call that never connected and a conversation that failed, and nothing else', () => {
    const pattern = synthesizedPattern();
    const matched = (events: Record<string, unknown>[]) => events.filter((e) => matches(pattern, e)).map((e) => e['detail-type']);
    expect(matched(published(undefined, notConnected))).toEqual(['Call Not Connected']);
    expect(matched(published(undefined, failed))).toEqual(['Call Conversation Failed']);
    // A successful call's transcription and its audio, and a deletion: published, not matched.
    const others = [...published(undefined, transcribed), ...published(transcribed, { ...transcribed, audio_s3_key: 'audio/a/conv_1/1.mp3' }), ...published(transcribed, { ...transcribed, transcript_deleted_at: 5 })];
    expect(others.map((e) => e['detail-type']).sort()).toEqual([DETAIL_TYPES.audio, DETAIL_TYPES.dataDeleted, DETAIL_TYPES.transcription]);
    expect(matched(others)).toEqual([]);
  });
});
