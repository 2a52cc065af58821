import { App, Duration, Lazy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ElevenLabsWebhookReceiverStack } from '../lib/receiver-stack';
import { ElevenLabsWebhookReceiverProps } from '../lib/webhook-receiver';
import { CDK_JSON_CONTEXT } from './support/webhooks';


type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

function synth(receiver?: ElevenLabsWebhookReceiverProps): Template {
  // An empty bundling-stacks list skips esbuild; test/integration/bundle.test.ts runs the real bundle.
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new ElevenLabsWebhookReceiverStack(app, 'Test', { receiver }));
}

function onlyResource(template: Template, type: string): { logicalId: string; resource: any } {
  const [entry, ...rest] = Object.entries(template.findResources(type));
  if (!entry || rest.length > 0) throw new Error(`expected exactly one ${type}`);
  return { logicalId: entry[0], resource: entry[1] };
}

/** The calls bucket (the other one receives its access logs). */
function callsBucket(template: Template): any {
  const buckets = Object.values(template.findResources('AWS::S3::Bucket')) as any[];
  const [bucket, ...others] = buckets.filter((b) => b.Properties.VersioningConfiguration);
  if (!bucket || others.length > 0) throw new Error('expected exactly one versioned bucket');
  return bucket;
}

function allowStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement as Statement[])
    .filter((statement) => statement.Effect === 'Allow');
}

/** The webhook function (the stack's other functions carry no webhook secret). */
function webhookFunction(template: Template): { logicalId: string; resource: any } {
  const [entry, ...rest] = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, fn]: [string, any]) => fn.Properties.Environment.Variables.WEBHOOK_SECRET_ARN);
  if (!entry || rest.length > 0) throw new Error('expected exactly one webhook function');
  return { logicalId: entry[0], resource: entry[1] };
}

/** The Allow statements of the policy on one function's role. */
function allowStatementsOf(template: Template, fn: any): Statement[] {
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return (Object.values(template.findResources('AWS::IAM::Policy')) as any[])
    .filter((policy) => policy.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
    .filter((statement) => statement.Effect === 'Allow');
}

const actionsOf = (statement: Statement) => ([] as string[]).concat(statement.Action);
const resourcesOf = (statement: Statement) => ([] as unknown[]).concat(statement.Resource);
/** The literal tail of an ARN the CDK built with Fn::Join, e.g. `/raw/*`. */
const arnSuffix = (arn: any): string => (arn['Fn::Join'] ? String(arn['Fn::Join'][1].at(-1)) : String(arn));

describe('ElevenLabsWebhookReceiverStack', () => {
  let template: Template;
  beforeAll(() => {
    template = synth();
  });

  it('routes POST /elevenlabs/webhook to the function with payload format 2.0', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /elevenlabs/webhook' });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [webhookFunction(template).logicalId, 'Arn'] },
    });
  });

  it('throttles the $default stage and writes JSON access logs without headers or bodies', () => {
    const stage = onlyResource(template, 'AWS::ApiGatewayV2::Stage').resource.Properties;
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    const format = JSON.parse(stage.AccessLogSettings.Format);
    expect(Object.keys(format).sort()).toEqual(
      ['integrationErrorMessage', 'integrationLatency', 'ip', 'requestId', 'requestTime', 'responseLength', 'routeKey', 'status'],
    );
    expect(stage.AccessLogSettings.Format).not.toMatch(/header|body/i);
    const accessLogGroupId = stage.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 90 }, DeletionPolicy: 'Retain' });
    expect(template.findResources('AWS::Logs::LogGroup')[accessLogGroupId]).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  it('runs the function on Node.js 24, arm64, 1024 MB, 25 s, JSON logs to a retained log group', () => {
    const fn = webhookFunction(template).resource.Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 1024, Timeout: 25 });
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    expect(fn.LoggingConfig.LogFormat).toBe('JSON');
    const logGroup = template.findResources('AWS::Logs::LogGroup')[fn.LoggingConfig.LogGroup.Ref];
    expect(logGroup).toMatchObject({ Properties: { RetentionInDays: 90 }, DeletionPolicy: 'Retain' });
  });

  it('gives the function its configuration through environment variables', () => {
    const variables = webhookFunction(template).resource.Properties.Environment.Variables;
    expect(Object.keys(variables)).toEqual(
      expect.arrayContaining(['CALLS_TABLE_NAME', 'CALLS_BUCKET_NAME', 'WEBHOOK_SECRET_ARN', 'POWERTOOLS_SERVICE_NAME', 'NODE_OPTIONS']),
    );
    expect(variables).toMatchObject({ SIGNATURE_TOLERANCE_SECONDS: '1800', SIGNATURE_FUTURE_TOLERANCE_SECONDS: '300' });
    expect(variables.WEBHOOK_SECRET_ARN).toEqual({ Ref: onlyResource(template, 'AWS::SecretsManager::Secret').logicalId });
  });

  it('never puts a webhook secret value in the function environment', () => {
    const variables = webhookFunction(template).resource.Properties.Environment.Variables;
    expect(JSON.stringify(variables)).not.toContain('wsec_');
  });

  it('creates the calls table from the shared schema: keys, the indexes that project every attribute, on-demand, TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'conversation_id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      GlobalSecondaryIndexes: Match.arrayWith(
        [['by_agent', 'agent_id'], ['by_number', 'external_number'], ['by_batch', 'batch_call_id']].map(([IndexName, partitionKey]) =>
          Match.objectLike({
            IndexName,
            KeySchema: [
              { AttributeName: partitionKey, KeyType: 'HASH' },
              { AttributeName: 'start_time_unix_secs', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          }),
        ),
      ),
    });
    // The calls list's index holds keys only: each write copies ~100 bytes there, not the item.
    expect(onlyResource(template, 'AWS::DynamoDB::Table').resource.Properties.GlobalSecondaryIndexes).toContainEqual({
      IndexName: 'by_month',
      KeySchema: [{ AttributeName: 'start_month', KeyType: 'HASH' }, { AttributeName: 'start_time_unix_secs', KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  it('protects the calls table: recovery, encryption, deletion protection, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('keeps the bucket private, encrypted, versioned and retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('logs access to the calls bucket into a private bucket of its own, kept a year', () => {
    const logging = callsBucket(template).Properties.LoggingConfiguration;
    expect(logging).toMatchObject({ DestinationBucketName: { Ref: expect.any(String) }, LogFilePrefix: 'calls-bucket/' });
    const logBucket = template.toJSON().Resources[logging.DestinationBucketName.Ref];
    expect(logBucket).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 365 })] },
      },
    });
  });

  it('gives the function a role of its own: no AWS managed policy', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role')) as any[]) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('denies bucket requests that do not use TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('cleans up uploads and old versions and moves archives and recordings to Infrequent Access', () => {
    const rules = callsBucket(template).Properties.LifecycleConfiguration.Rules;
    expect(rules).toEqual(expect.arrayContaining([
      expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
      expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
      expect.objectContaining({ Prefix: 'raw/', Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }] }),
      expect.objectContaining({ Prefix: 'audio/', Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }] }),
    ]));
  });

  it('lets the function update items of the table and do nothing else with it', () => {
    const tableId = onlyResource(template, 'AWS::DynamoDB::Table').logicalId;
    const own = allowStatementsOf(template, webhookFunction(template).resource);
    const dynamodbActions = own.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamodbActions).toEqual(['dynamodb:UpdateItem']);
    // The only other DynamoDB access in the stack: the stream function reads the table's stream (test/stack-analytics.test.ts).
    expect(allowStatements(template).flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(
      ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams', 'dynamodb:UpdateItem'],
    );
    const statement = own.find((s) => actionsOf(s).includes('dynamodb:UpdateItem'));
    expect(resourcesOf(statement!)).toContainEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
  });

  it('lets the function do nothing on S3 but PutObject under raw/ (transcripts are raw bodies) and audio/', () => {
    const s3Statements = allowStatementsOf(template, webhookFunction(template).resource).filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3Statements.flatMap(actionsOf)).toEqual(['s3:PutObject']);
    expect(s3Statements.flatMap(resourcesOf).map(arnSuffix).sort()).toEqual(['/audio/*', '/raw/*']);
  });

  it('lets the function read the webhook secret', () => {
    const secretId = onlyResource(template, 'AWS::SecretsManager::Secret').logicalId;
    const statement = allowStatements(template).find((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(resourcesOf(statement!)).toEqual([{ Ref: secretId }]);
  });

  it('grants no wildcard or object read, and deletes only of analytics rows (by the stream function)', () => {
    const actions = allowStatements(template).flatMap(actionsOf);
    expect(actions).not.toContain('*');
    expect(actions.filter((a) => /^(s3|dynamodb|secretsmanager):\*$/.test(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('s3:GetObject'))).toEqual([]);
    const deletes = allowStatements(template).filter((s) => actionsOf(s).some((a) => a.startsWith('s3:DeleteObject')));
    expect(deletes.flatMap(resourcesOf).map(arnSuffix)).toEqual(['/analytics/calls/*']);
    expect(actions.filter((a) => /^dynamodb:(GetItem|Query|Scan|BatchGetItem)$/.test(a))).toEqual([]);
  });

  it('creates the secret with no value at all, so no deploy can overwrite the stored one', () => {
    const secret = onlyResource(template, 'AWS::SecretsManager::Secret').resource.Properties;
    expect(secret.SecretString).toBeUndefined();
    expect(secret.GenerateSecretString).toBeUndefined();
    expect(secret.Description).toMatch(/ElevenLabs webhook secret/);
  });

  it('outputs the URL, table, bucket, secret and the command that stores the secret', () => {
    for (const name of ['WebhookUrl', 'CallsTableName', 'CallsBucketName', 'WebhookSecretArn', 'StoreSecretCommand']) {
      template.hasOutput(name, {});
    }
    const secretId = onlyResource(template, 'AWS::SecretsManager::Secret').logicalId;
    template.hasOutput('StoreSecretCommand', {
      Value: { 'Fn::Join': ['', ['aws secretsmanager put-secret-value --secret-id ', { Ref: secretId }, " --secret-string 'wsec_...'"]] },
    });
    const url = JSON.stringify(template.findOutputs('WebhookUrl').WebhookUrl.Value);
    expect(url).toMatch(/\/elevenlabs\/webhook"/);
    expect(url).not.toContain('//elevenlabs');
  });

  it('keeps data forever by default: no expiration rule and no RETENTION_DAYS', () => {
    const rules = callsBucket(template).Properties.LifecycleConfiguration.Rules;
    // Athena's query results are not calls: they expire (test/stack-analytics.test.ts).
    expect(rules.filter((rule: any) => rule.ExpirationInDays !== undefined && rule.Prefix !== 'athena-results/')).toEqual([]);
    const variables = webhookFunction(template).resource.Properties.Environment.Variables;
    expect(variables.RETENTION_DAYS).toBeUndefined();
  });

  it('expires objects and sets RETENTION_DAYS when a retention is given', () => {
    const withRetention = synth({ retention: Duration.days(365) });
    const rules = callsBucket(withRetention).Properties.LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(expect.objectContaining({ ExpirationInDays: 365, Status: 'Enabled' }));
    const variables = webhookFunction(withRetention).resource.Properties.Environment.Variables;
    expect(variables.RETENTION_DAYS).toBe('365');
  });

  it('skips the Infrequent Access move when objects expire before it could pay off', () => {
    const rules = callsBucket(synth({ retention: Duration.days(45) })).Properties.LifecycleConfiguration.Rules;
    expect(rules.filter((rule: any) => rule.Transitions)).toEqual([]);
  });

  it('rejects a timeout the HTTP API would not wait for', () => {
    expect(() => synth({ timeout: Duration.seconds(30) })).toThrow('timeout must be from 1 to 29 seconds, not 30 seconds');
  });

  it('names the prop and its rule for every value it cannot take, at synth', () => {
    const refused: [ElevenLabsWebhookReceiverProps, string][] = [
      [{ retention: Duration.hours(36) }, 'retention must be whole days, not 1 day 12 hours'],
      [{ retention: Duration.days(0) }, 'retention must be at least 1 day, not 0 days'],
      [{ pointInTimeRecoveryPeriod: Duration.hours(12) }, 'pointInTimeRecoveryPeriod must be whole days, not 12 hours'],
      [{ timeout: Duration.millis(500) }, 'timeout must be whole seconds, not 500 millis'],
      [{ signatureTolerance: Duration.seconds(0) }, 'signatureTolerance must be at least 1 second, not 0 seconds'],
      [{ memorySize: 20_000 }, "memorySize must be a whole number from 128 to 10240, not 20000: Lambda's range, in MiB"],
      [{ reservedConcurrentExecutions: -1 }, 'reservedConcurrentExecutions must be a whole number of at least 0, not -1'],
      [{ throttleRateLimit: -1 }, 'throttleRateLimit must be at least 0 requests per second, not -1'],
      [{ throttleBurstLimit: 1.5 }, 'throttleBurstLimit must be a whole number of at least 0, not 1.5'],
      [{ alarmEmail: 'not-an-email' }, 'alarmEmail must be an e-mail address, not "not-an-email"'],
      [{ path: '/hooks/{proxy+}' }, 'path must start with / and hold no spaces, {parameters}, ? or #, not "/hooks/{proxy+}"'],
      [{ path: 'elevenlabs' }, 'path must start with / and hold no spaces, {parameters}, ? or #, not "elevenlabs"'],
      [{ allowedSourceIps: Array.from({ length: 300 }, (_, i) => `2001:db8::${i.toString(16)}/128`) }, 'allowedSourceIps takes at most 2500 characters in all'],
      [{ apiReconciliation: { audioCheckDelay: Duration.minutes(20) } }, 'apiReconciliation.audioCheckDelay must be from 0 to 900 seconds, not 20 minutes'],
      [{ apiReconciliation: { backfillInterval: Duration.seconds(30) } }, 'apiReconciliation.backfillInterval must be whole minutes, not 30 seconds'],
      [{ apiReconciliation: { backfillInterval: Duration.hours(12) } }, 'apiReconciliation.backfillLookback (6 hours) must be at least apiReconciliation.backfillInterval (12 hours)'],
      [{ honourDeletionSettings: { interval: Duration.seconds(30) } }, 'honourDeletionSettings.interval must be whole minutes, not 30 seconds'],
    ];
    for (const [props, message] of refused) expect(() => synth(props)).toThrow(message);
  });
});

describe('with API reconciliation', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({ apiReconciliation: {} });
  });

  const functionWith = (variable: string) =>
    Object.entries(template.findResources('AWS::Lambda::Function')).find(([, fn]: [string, any]) => fn.Properties.Environment.Variables[variable])!;
  /** The statements of the policy attached to a function's role. */
  const policyOf = (fn: any) => {
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const policy = (Object.values(template.findResources('AWS::IAM::Policy')) as any[]).find((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
    return policy.Properties.PolicyDocument.Statement as Statement[];
  };

  it('is off by default: no queue, no schedule, no function of its own', () => {
    const plain = synth();
    // The stream function and its dead-letter queue (analytics, call events) are the default stack's others.
    expect(Object.keys(plain.findResources('AWS::SQS::Queue')).filter((id) => !id.includes('CallAnalytics'))).toEqual([]);
    plain.resourceCountIs('AWS::Events::Rule', 0);
    expect(Object.keys(plain.findResources('AWS::Lambda::Function')).filter((id) => !id.includes('CallAnalytics'))).toHaveLength(1);
    synth({ analytics: false, callEvents: false }).resourceCountIs('AWS::Lambda::Function', 1);
  });

  it('creates an empty API key secret, an encrypted queue with a dead-letter queue, and an hourly backfill', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('ElevenLabs API key') });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() } });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 2 } });
  });

  it('outputs the API key secret and the command that stores the key', () => {
    template.hasOutput('ApiKeySecretArn', {});
    template.hasOutput('StoreApiKeyCommand', { Value: { 'Fn::Join': ['', Match.arrayWith([" --secret-string 'sk_...'"])] } });
  });

  it('has the webhook function queue audio checks 15 minutes later', () => {
    const [, webhook] = functionWith('AUDIO_CHECK_QUEUE_URL') as [string, any];
    expect(webhook.Properties.Environment.Variables.AUDIO_CHECK_DELAY_SECONDS).toBe('900');
    expect(webhook.Properties.Handler).toBe('index.handler');
  });

  it('gives the reconciler time for a long download and only the access it needs', () => {
    const [, reconciler] = functionWith('ELEVENLABS_API_KEY_SECRET_ARN') as [string, any];
    expect(reconciler.Properties).toMatchObject({ Timeout: 300, MemorySize: 512, Architectures: ['arm64'] });
    const actions = policyOf(reconciler).filter((s) => s.Effect === 'Allow').flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(actions.filter((a) => a.startsWith('s3:')).sort()).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
    const reads = policyOf(reconciler).filter((s) => actionsOf(s).includes('s3:GetObject'));
    expect(reads.flatMap(resourcesOf).map(arnSuffix)).toEqual(['/audio/*']);
    expect(actions.some((a) => /Delete/.test(a) && !a.startsWith('sqs:'))).toBe(false);
  });

  it('refuses to synthesize an API base URL the reconciler would refuse, naming the prop and never quoting the URL', () => {
    const refusal = (apiBaseUrl: string) => {
      try {
        synth({ apiReconciliation: { apiBaseUrl } });
        return 'synthesized';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(refusal('http://api.elevenlabs.io')).toMatch(/must use https.*: set apiBaseUrl to https:\/\/api\.elevenlabs\.io/);
    const pasted = refusal('https://user:sk_pasted_key@api.elevenlabs.io');
    expect(pasted).toMatch(/must not carry a user name, password, query or fragment \(the key goes in apiKeySecret\)/);
    expect(pasted).not.toMatch(/sk_pasted/);
    // A data-residency address passes; one known only at deploy time (a token) is left to the reconciler.
    const residency = 'https://api.eu.residency.elevenlabs.io';
    for (const apiBaseUrl of [residency, Lazy.string({ produce: () => residency })]) {
      synth({ apiReconciliation: { apiBaseUrl } }).hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ELEVENLABS_API_BASE_URL: residency }) } });
    }
  });
});

describe('honouring ElevenLabs deletion settings', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({ honourDeletionSettings: {} });
  });

  /** The sweeper and the statements of its role's policy. */
  const sweeper = () => {
    const [, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.includes('DeletionSweep'))! as [string, any];
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
    const own = policies.find((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
    const others = policies.filter((p) => p !== own).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    return { fn, statements: (own.Properties.PolicyDocument.Statement as Statement[]).filter((s) => s.Effect === 'Allow'), others };
  };

  it('keeps the sparse deletion index keys-only, whether or not the sweep is on', () => {
    for (const t of [synth(), template]) {
      const indexes = onlyResource(t, 'AWS::DynamoDB::Table').resource.Properties.GlobalSecondaryIndexes;
      expect(indexes).toContainEqual({
        IndexName: 'by_deletion_due',
        KeySchema: [{ AttributeName: 'deletion_queue', KeyType: 'HASH' }, { AttributeName: 'deletion_due_unix_secs', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      });
    }
  });

  /** The webhook function's environment. */
  const webhookVariables = (t: Template) =>
    (Object.values(t.findResources('AWS::Lambda::Function')) as any[]).find((fn) => fn.Properties.Environment.Variables.WEBHOOK_SECRET_ARN).Properties.Environment.Variables;

  it('tells the webhook function, so only then does a redelivery after a deletion re-queue its call', () => {
    expect(webhookVariables(template).HONOUR_DELETION_SETTINGS).toBe('true');
    expect(webhookVariables(synth()).HONOUR_DELETION_SETTINGS).toBeUndefined();
  });

  it('is off by default: no sweeper, and nothing in the stack can delete an object but the analytics rows', () => {
    const plain = synth();
    expect(Object.keys(plain.findResources('AWS::Lambda::Function')).filter((id) => id.includes('DeletionSweep'))).toEqual([]);
    const deletes = allowStatements(plain).filter((s) => actionsOf(s).some((a) => /Delete/.test(a) && !a.startsWith('sqs:')));
    expect(deletes.flatMap(resourcesOf).map(arnSuffix)).toEqual(['/analytics/calls/*']);
    const quiet = synth({ analytics: false, callEvents: false });
    quiet.resourceCountIs('AWS::Lambda::Function', 1);
    expect(allowStatements(quiet).flatMap(actionsOf).filter((a) => /Delete/.test(a))).toEqual([]);
  });

  it('sweeps every 15 minutes with a function that alone can delete, and only under the receiver prefixes', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
    const { fn, statements, others } = sweeper();
    expect(fn.Properties).toMatchObject({ Timeout: 300, Architectures: ['arm64'] });
    // A failed sweep waits for the next scheduled run rather than being retried at once.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
    expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('WEBHOOK_SECRET_ARN');
    const byAction = (action: string) => statements.filter((s) => actionsOf(s).includes(action));
    expect(byAction('dynamodb:Query').flatMap(resourcesOf).map(arnSuffix)).toEqual(['/index/by_deletion_due']);
    expect(byAction('s3:DeleteObjectVersion').flatMap(resourcesOf).map(arnSuffix).sort()).toEqual(['/audio/*', '/raw/*', '/transcripts/*']);
    const listing = byAction('s3:ListBucketVersions');
    expect(listing).toHaveLength(1);
    expect((listing[0] as any).Condition).toEqual({ StringLike: { 's3:prefix': ['raw/*', 'transcripts/*', 'audio/*'] } });
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:DeleteItem');
    // Besides it, only the stream function deletes: the analytics rows it writes (and moves, and purges after a deletion).
    const otherDeletes = others.filter((s) => s.Effect === 'Allow' && actionsOf(s).some((a) => /Delete/.test(a)));
    expect(otherDeletes.flatMap(resourcesOf).map(arnSuffix)).toEqual(['/analytics/calls/*']);
  });

  it('can shorten how long point-in-time recovery keeps deleted personal data restorable', () => {
    expect(onlyResource(synth(), 'AWS::DynamoDB::Table').resource.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 });
    const shorter = synth({ honourDeletionSettings: {}, pointInTimeRecoveryPeriod: Duration.days(7) });
    expect(onlyResource(shorter, 'AWS::DynamoDB::Table').resource.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 });
    expect(() => synth({ pointInTimeRecoveryPeriod: Duration.days(36) })).toThrow(/1 to 35/);
  });

  it('alarms when a sweep fails', () => {
    const alarms = (Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[]).map((a) => a.Properties.AlarmDescription as string);
    expect(alarms).toContain('The DeletionSweeper function failed: see its log group for error_name and error_reason.');
  });
});

describe('operations', () => {
  const descriptions = (template: Template) => (Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[]).map((a) => a.Properties.AlarmDescription as string);

  it('alarms on function errors and throttles, API 5xx, a burst of signature failures and any store error, into an encrypted topic', () => {
    const template = synth();
    const alarms = descriptions(template);
    // 5 of the webhook, 5 of the stream function (errors, throttles, failed changes, iterator age, dead letters).
    expect(alarms).toHaveLength(10);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CallChangesFailed', Namespace: 'ElevenLabsWebhookReceiver', Threshold: 1, Statistic: 'Sum' });
    expect(alarms.join('\n')).toMatch(/function failed[\s\S]*throttled[\s\S]*function failed[\s\S]*throttled[\s\S]*5xx[\s\S]*signature check[\s\S]*store_error/);
    expect(descriptions(synth({ analytics: false, callEvents: false }))).toHaveLength(5);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SignatureFailures', Namespace: 'ElevenLabsWebhookReceiver', Threshold: 10, Statistic: 'Sum' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'StoreErrors', Namespace: 'ElevenLabsWebhookReceiver', Threshold: 1, Statistic: 'Sum' });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[]) expect(alarm.Properties.AlarmActions).toHaveLength(1);
  });

  it('adds the reconciler and dead-letter alarms with reconciliation, and e-mails alarms when asked', () => {
    const template = synth({ apiReconciliation: {}, alarmEmail: 'ops@example.com' });
    expect(descriptions(template).join('\n')).toMatch(/Audio checks failed 5 times/);
    expect(descriptions(template)).toHaveLength(13);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('has a dashboard of calls per day, duration, cost (credits and USD), tool errors, success per agent, failures, signature failures, errors and latency', () => {
    const template = synth();
    const body = JSON.stringify(onlyResource(template, 'AWS::CloudWatch::Dashboard').resource.Properties.DashboardBody);
    for (const title of ['Calls per day', 'average and p90', 'Cost per day (credits)', 'Cost per day (USD)', 'Tool errors per day', 'Success rate per agent', 'never connected', 'Signature failures', 'Errors', 'Latency']) {
      expect(body).toContain(title);
    }
  });

  it('passes a source allow-list to the function, and refuses an empty one', () => {
    const template = synth({ allowedSourceIps: ['34.67.146.145', '34.59.11.47'] });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ALLOWED_SOURCE_IPS: '34.67.146.145,34.59.11.47' }) } });
    expect(() => synth({ allowedSourceIps: [] })).toThrow(/allowedSourceIps is empty/);
    const open = webhookFunction(synth()).resource.Properties.Environment.Variables;
    expect(open.ALLOWED_SOURCE_IPS).toBeUndefined();
  });

  it('passes CIDR ranges and IPv6 entries to the function, trimmed', () => {
    const template = synth({ allowedSourceIps: [' 203.0.113.0/24 ', '2001:db8::/32'] });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ALLOWED_SOURCE_IPS: '203.0.113.0/24,2001:db8::/32' }) } });
  });

  it('refuses to synthesize an allow-list entry that is not an address or range, naming it', () => {
    expect(() => synth({ allowedSourceIps: ['34.67.146.145', 'notanip'] })).toThrow(
      'allowedSourceIps: "notanip" is not an IP address or CIDR range (like 203.0.113.7 or 203.0.113.0/24)',
    );
    expect(() => synth({ allowedSourceIps: ['203.0.113.0/33'] })).toThrow('allowedSourceIps: "203.0.113.0/33" has a prefix length out of range');
  });

  it('leaves an allow-list entry known only at deploy (a token) to the function, checking the rest', () => {
    const fromDeploy = Lazy.string({ produce: () => '198.51.100.7' });
    const template = synth({ allowedSourceIps: ['203.0.113.0/24', fromDeploy] });
    const variables = webhookFunction(template).resource.Properties.Environment.Variables;
    expect(JSON.stringify(variables.ALLOWED_SOURCE_IPS)).toContain('198.51.100.7');
    expect(() => synth({ allowedSourceIps: ['notanip', fromDeploy] })).toThrow(/"notanip" is not an IP address/);
  });

  it('tells the function its metrics namespace', () => {
    const template = synth();
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ POWERTOOLS_METRICS_NAMESPACE: 'ElevenLabsWebhookReceiver' }) } });
  });
});
