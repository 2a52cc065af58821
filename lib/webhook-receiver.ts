import { Duration, RemovalPolicy, Size, Token } from 'aws-cdk-lib';
import { AccessLogField as Field, AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, IEventBus } from 'aws-cdk-lib/aws-events';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, LifecycleRule, ObjectOwnership, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { AUDIO_PREFIX, RAW_PREFIX } from '../lambda/object-keys';
import { METRICS_NAMESPACE } from '../lambda/metric-names';
import { DEFAULT_WEBHOOK_PATH } from '../lambda/service';
import { DEFAULT_FUTURE_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_SECONDS } from '../lambda/signature';
import { parseSourceAllowList } from '../lambda/source-ips';
import { CALLS_INDEXES, CALLS_PARTITION_KEY, EXPIRY_ATTRIBUTE, KeyAttribute } from './calls-table-schema';
import { ApiReconciliation, ApiReconciliationOptions } from './api-reconciliation';
import { CallAnalytics, CallsSql } from './call-analytics';
import { DeletionSweep, DeletionSweepOptions } from './deletion-sweep';
import { acknowledge } from './nag-acknowledgements';
import { wholeDuration, wholeNumber } from './prop-checks';
import { receiverFunction } from './receiver-function';
import { emptySecret, grantObjectWrites } from './receiver-grants';
import { ReceiverMonitoring } from './receiver-monitoring';

/** Raw bodies are kept for replay and rarely read, so they move to Infrequent Access after this. */
const RAW_TRANSITION_DAYS = 30;
/** Infrequent Access bills at least this many days per object, so a shorter stay there costs more. */
const IA_MINIMUM_STORAGE_DAYS = 30;
/** How long S3 server access logs of the call bucket are kept. */
const ACCESS_LOG_DAYS = 365;
/** Of Lambda's 4 KB of environment variables, what the source allow-list may take. */
const MAX_ALLOWED_SOURCE_IPS_CHARS = 2_500;
/** HTTP API integrations give up after 30 s; the function must finish (and answer) before that. */
const MAX_TIMEOUT_SECONDS = 29;

/** Options for {@link ElevenLabsWebhookReceiver}. All optional. */
export interface ElevenLabsWebhookReceiverProps {
  /**
   * How long call records (DynamoDB TTL) and stored objects (S3 expiration) are kept. Whole days.
   * @default - kept forever
   */
  readonly retention?: Duration;
  /**
   * The secret holding the ElevenLabs webhook secret (`wsec_...`) as its plain string value.
   * @default - a new secret, created without a value; the function answers 500 until it is stored
   */
  readonly webhookSecret?: ISecret;
  /**
   * How old a signature timestamp may be before the request is rejected.
   * @default Duration.minutes(30)
   */
  readonly signatureTolerance?: Duration;
  /**
   * How far in the future a signature timestamp may be (clock skew) before the request is rejected.
   * @default Duration.minutes(5)
   */
  readonly signatureFutureTolerance?: Duration;
  /**
   * The function's memory in MiB, 128 to 10,240; audio events carry megabytes of base64 to decode.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * The function's timeout; at most 29 seconds, under the HTTP API's 30-second integration limit.
   * @default Duration.seconds(25)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency for the function, to cap what a flood of requests can cost.
   * @default - no reserved concurrency (the account's unreserved pool)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Retention of the function's log group and the API's access log group.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * The route path that receives `POST` webhooks: one fixed path, starting with `/`.
   * @default '/elevenlabs/webhook'
   */
  readonly path?: string;
  /**
   * Steady-state requests per second the API stage accepts.
   * @default 50
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst of requests the API stage accepts above the steady rate.
   * @default 100
   */
  readonly throttleBurstLimit?: number;
  /**
   * Fetch what webhooks miss through the ElevenLabs API (audio too large for API Gateway, lost
   * webhooks): a delayed audio check per call and an hourly backfill. Needs an API key secret.
   * @default - off: webhooks only
   */
  readonly apiReconciliation?: ApiReconciliationOptions;
  /**
   * Receives every alarm (function errors and throttles, API 5xx, signature failures, dead letters).
   * @default - alarms go to the SNS topic only; subscribe to it as you like
   */
  readonly alarmEmail?: string;
  /**
   * Only these source addresses may call the webhook (403 otherwise, checked before anything
   * else and counted as `ForbiddenSources`): IPv4 or IPv6 addresses and CIDR ranges
   * (`203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`). ElevenLabs publishes its own: see
   * {@link ElevenLabsEgress} (`ElevenLabsEgress.defaultRegions`, ...). Throws at synth on an entry that is
   * not an address or range, on a list with no entries, and on one over 2,500 characters.
   * @default - any address (every request must still be signed)
   */
  readonly allowedSourceIps?: string[];
  /**
   * Honour ElevenLabs' deletion settings: when a call's transcript (and personal data) or audio is
   * deleted at ElevenLabs, a scheduled sweep deletes every version of our objects for it and the
   * personal attributes of its item. Applies to every stored call whose deletion time has come.
   * @default - off: calls are kept for `retention` (their deletion settings are still recorded)
   */
  readonly honourDeletionSettings?: DeletionSweepOptions;
  /**
   * How far back the table can be restored (point-in-time recovery), 1 to 35 days. Earlier states
   * of an item, personal data included, stay restorable this long after a deletion.
   * @default Duration.days(35)
   */
  readonly pointInTimeRecoveryPeriod?: Duration;
  /**
   * SQL over every call: each call's latest state as a row under `analytics/calls/` in the bucket
   * (written from the table's stream), a Glue table over the rows and an Athena workgroup with
   * named queries. Turned off later, the rows already written stay, out of the deletion sweep's
   * reach: delete `analytics/` in the bucket then.
   * @default true
   */
  readonly analytics?: boolean;
  /**
   * An EventBridge event for each change of a call other systems care about (transcription or
   * audio stored, call not connected, conversation failed, data deleted), source
   * `elevenlabs-webhook-receiver`, the call's record without its transcript as the detail.
   * @default true
   */
  readonly callEvents?: boolean;
  /**
   * The bus the call events go to (with `callEvents`).
   * @default - the account's default event bus in the stack's region
   */
  readonly eventBus?: IEventBus;
  /**
   * Athena cancels a query of the analytics workgroup that scans more than this (with `analytics`).
   * @default Size.gibibytes(10)
   */
  readonly bytesScannedCutoffPerQuery?: Size;
}

/**
 * Receives ElevenLabs post-call webhooks: an HTTP API route in front of a function that verifies
 * the signature, archives the raw body in S3 and stores the call in DynamoDB.
 * Table and bucket are retained when the stack is deleted: they hold the only copy of the calls.
 */
export class ElevenLabsWebhookReceiver extends Construct {
  /** The full webhook URL to paste into the ElevenLabs dashboard. */
  public readonly url: string;
  /** The HTTP API; its only route is `POST` on {@link ElevenLabsWebhookReceiverProps.path}. */
  public readonly api: HttpApi;
  /** The function that verifies, archives and stores each webhook. */
  public readonly handler: LambdaFunction;
  /** One item per conversation, keyed by `conversation_id`. */
  public readonly table: Table;
  /** Raw bodies, transcripts and audio, under the prefixes in `lambda/object-keys.ts`. */
  public readonly bucket: Bucket;
  /** Holds the ElevenLabs webhook secret; the function can read it, the template never holds it. */
  public readonly secret: ISecret;
  /** The API reconciliation, when switched on. */
  public readonly reconciliation?: ApiReconciliation;
  /** The deletion sweep, when ElevenLabs' deletion settings are honoured. */
  public readonly deletionSweep?: DeletionSweep;
  /** The table's stream carried to analytics rows and call events, when either is on. */
  public readonly callAnalytics?: CallAnalytics;
  /** The Glue table and Athena workgroup over the analytics rows, with `analytics`. */
  public readonly callsSql?: CallsSql;
  /** Alarms (to an SNS topic) and the calls dashboard. */
  public readonly monitoring: ReceiverMonitoring;

  constructor(scope: Construct, id: string, props: ElevenLabsWebhookReceiverProps = {}) {
    super(scope, id);
    // Access logs delivered through a bucket policy, not ACLs, whatever the app's feature flags:
    // the buckets keep ACLs disabled (owner-enforced).
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const timeout = props.timeout ?? Duration.seconds(25);
    // The HTTP API stops waiting at 30 seconds.
    wholeDuration(timeout, 'seconds', 'timeout', 1, MAX_TIMEOUT_SECONDS);
    // Whole days only: both S3 expiration and the RETENTION_DAYS variable count days.
    const retentionDays = props.retention && wholeDuration(props.retention, 'days', 'retention', 1);
    const recoveryDays = props.pointInTimeRecoveryPeriod ? wholeDuration(props.pointInTimeRecoveryPeriod, 'days', 'pointInTimeRecoveryPeriod', 1, 35) : 35;
    const tolerance = wholeDuration(props.signatureTolerance ?? Duration.seconds(DEFAULT_TOLERANCE_SECONDS), 'seconds', 'signatureTolerance', 1);
    const futureTolerance = wholeDuration(props.signatureFutureTolerance ?? Duration.seconds(DEFAULT_FUTURE_TOLERANCE_SECONDS), 'seconds', 'signatureFutureTolerance', 0);
    wholeNumber(props.memorySize, 'memorySize', 128, 10_240, 'Lambda\'s range, in MiB');
    wholeNumber(props.reservedConcurrentExecutions, 'reservedConcurrentExecutions', 0);
    wholeNumber(props.throttleBurstLimit, 'throttleBurstLimit', 0);
    if (props.throttleRateLimit !== undefined && !Token.isUnresolved(props.throttleRateLimit) && !(props.throttleRateLimit >= 0)) {
      throw new Error(`throttleRateLimit must be at least 0 requests per second, not ${props.throttleRateLimit}`);
    }
    if (props.alarmEmail !== undefined && !Token.isUnresolved(props.alarmEmail) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
      throw new Error(`alarmEmail must be an e-mail address, not ${JSON.stringify(props.alarmEmail)}`);
    }
    // The same parser as the function's: a bad entry fails the synth, not every request. An entry
    // known only at deploy (a token) is left to the function, which checks it at its cold start.
    const allowedEntries = props.allowedSourceIps;
    const known = allowedEntries?.filter((entry) => !Token.isUnresolved(entry));
    const allowList = known && parseSourceAllowList(known, 'allowedSourceIps');
    const allowedSourceIps = allowList && [...allowList.entries, ...(allowedEntries ?? []).filter((entry) => Token.isUnresolved(entry))];
    if (allowedSourceIps && allowedSourceIps.length === 0) {
      throw new Error('allowedSourceIps is empty: leave it out to allow any address, or list the addresses');
    }
    // The list travels in an environment variable, and Lambda keeps 4 KB of them in all.
    if (allowedSourceIps && allowedSourceIps.join(',').length > MAX_ALLOWED_SOURCE_IPS_CHARS) {
      throw new Error(`allowedSourceIps takes at most ${MAX_ALLOWED_SOURCE_IPS_CHARS} characters in all (Lambda keeps 4 KB of environment variables): join neighbouring addresses into CIDR ranges`);
    }
    const analytics = props.analytics ?? true;
    const callEvents = props.callEvents ?? true;
    if (props.eventBus && !callEvents) throw new Error('eventBus is set but callEvents is false: no events would reach it');
    if (props.bytesScannedCutoffPerQuery && !analytics) throw new Error('bytesScannedCutoffPerQuery is set but analytics is false: there is no workgroup to limit');
    const logRetention = props.logRetention ?? RetentionDays.THREE_MONTHS;
    const routePath = props.path ?? DEFAULT_WEBHOOK_PATH;
    // One fixed path: a parameter or greedy path would take requests meant for other routes.
    if (!Token.isUnresolved(routePath) && !/^\/[^\s{}?#]*$/.test(routePath)) {
      throw new Error(`path must start with / and hold no spaces, {parameters}, ? or #, not ${JSON.stringify(routePath)}`);
    }

    const attribute = (key: KeyAttribute) => ({ name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER });
    this.table = new Table(this, 'Calls', {
      partitionKey: attribute(CALLS_PARTITION_KEY),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: recoveryDays },
      encryption: TableEncryption.AWS_MANAGED,
      // Always set: items only carry the attribute when a retention is configured.
      timeToLiveAttribute: EXPIRY_ATTRIBUTE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Old and new images: a call whose start day changes, or whose item goes, moves or removes its
      // row. Only when something reads it (a stream nobody reads costs nothing, but is left out).
      // Adding or removing it updates the table in place.
      stream: analytics || callEvents ? StreamViewType.NEW_AND_OLD_IMAGES : undefined,
    });
    for (const index of CALLS_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: index.projection === 'KEYS_ONLY' ? ProjectionType.KEYS_ONLY : ProjectionType.ALL,
      });
    }

    const lifecycleRules: LifecycleRule[] = [
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(30) },
    ];
    // Archives and recordings are rarely read after a month: Infrequent Access then. Moving objects
    // that expire soon after would cost more (IA's minimum stay), so skip it then. S3 itself leaves
    // objects under 128 KB (an audio envelope, a short transcript) in Standard, where IA would cost more.
    if (retentionDays === undefined || retentionDays > RAW_TRANSITION_DAYS + IA_MINIMUM_STORAGE_DAYS) {
      for (const [id, prefix] of [['raw-to-infrequent-access', RAW_PREFIX], ['audio-to-infrequent-access', AUDIO_PREFIX]]) {
        lifecycleRules.push({ id, prefix, transitions: [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(RAW_TRANSITION_DAYS) }] });
      }
    }
    if (retentionDays !== undefined) {
      lifecycleRules.push({ id: 'expire-after-retention', expiration: Duration.days(retentionDays) });
    }
    // Who read or wrote which recording: server access logs, in a bucket of their own.
    const accessLogs = new Bucket(this, 'ArchiveAccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(ACCESS_LOG_DAYS) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(accessLogs, 'AwsSolutions-S1', 'This bucket receives the call bucket\'s server access logs; logging its own access would loop.');
    this.bucket = new Bucket(this, 'Archive', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'calls-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ElevenLabs shows the secret only after the webhook exists, so the stack creates the secret
    // with no value at all: nothing in the template, nothing a later deploy could regenerate over
    // the user's value. Until it is stored, the function answers 500 (fail closed).
    this.secret =
      props.webhookSecret ??
      emptySecret(this, 'WebhookSecret', 'The ElevenLabs webhook secret (wsec_...), stored as the plain secret string. Created empty: see the README.', 'The webhook secret is issued by ElevenLabs and');

    const environment: Record<string, string> = {
      CALLS_TABLE_NAME: this.table.tableName,
      CALLS_BUCKET_NAME: this.bucket.bucketName,
      WEBHOOK_SECRET_ARN: this.secret.secretArn,
      SIGNATURE_TOLERANCE_SECONDS: String(tolerance),
      SIGNATURE_FUTURE_TOLERANCE_SECONDS: String(futureTolerance),
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      ...(allowedSourceIps ? { ALLOWED_SOURCE_IPS: allowedSourceIps.join(',') } : {}),
    };
    if (retentionDays !== undefined) environment.RETENTION_DAYS = String(retentionDays);

    this.handler = receiverFunction(this, 'Handler', {
      entry: 'handler.ts',
      memorySize: props.memorySize ?? 1024,
      timeout,
      environment,
      logRetention,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    });

    // A writer: no reads, no deletes. UpdateItem creates and merges items, which is all it does;
    // on S3 only PutObject under the two prefixes it writes, raw bodies (transcripts among them) and
    // audio (grantPut would add tagging, retention and legal-hold actions it never uses).
    // The table itself, not its indexes (Table.grant would add them; an update never targets one).
    Grant.addToPrincipal({ grantee: this.handler, actions: ['dynamodb:UpdateItem'], resourceArns: [this.table.tableArn] });
    grantObjectWrites(this.handler, this.bucket, [RAW_PREFIX, AUDIO_PREFIX]);
    this.secret.grantRead(this.handler);

    if (props.apiReconciliation) {
      this.reconciliation = new ApiReconciliation(this, 'ApiReconciliation', {
        ...props.apiReconciliation,
        table: this.table,
        bucket: this.bucket,
        webhookFunction: this.handler,
        logRetention,
        retentionDays,
      });
    }

    if (props.honourDeletionSettings) {
      this.deletionSweep = new DeletionSweep(this, 'DeletionSweep', { ...props.honourDeletionSettings, table: this.table, bucket: this.bucket, logRetention });
      this.handler.addEnvironment('HONOUR_DELETION_SETTINGS', 'true');
    }

    if (analytics || callEvents) {
      this.callAnalytics = new CallAnalytics(this, 'CallAnalytics', {
        table: this.table,
        bucket: this.bucket,
        rows: analytics,
        eventBus: callEvents ? props.eventBus ?? EventBus.fromEventBusName(this, 'DefaultEventBus', 'default') : undefined,
        logRetention,
      });
    }
    if (analytics) {
      this.callsSql = new CallsSql(this, 'CallsSql', { bucket: this.bucket, bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery });
    }

    this.api = new HttpApi(this, 'Api', {
      description: 'Receives ElevenLabs post-call webhooks',
      createDefaultStage: false,
    });
    this.api.addRoutes({
      path: routePath,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Handler', this.handler, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 }),
    });
    // An explicit stage, because HttpApi's own default stage takes no throttling or access log options.
    const stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit ?? 50, burstLimit: props.throttleBurstLimit ?? 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy: RemovalPolicy.RETAIN }),
        ),
        // Request metadata only: headers carry the signature and bodies carry the calls.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: Field.contextRequestId(),
            ip: Field.contextIdentitySourceIp(),
            requestTime: Field.contextRequestTime(),
            routeKey: Field.contextRouteKey(),
            status: Field.contextStatus(),
            responseLength: Field.contextResponseLength(),
            integrationLatency: Field.contextIntegrationLatency(),
            integrationErrorMessage: Field.contextIntegrationErrorMessage(),
          }),
        ),
      },
    });
    acknowledge(this.api, 'AwsSolutions-APIG4', 'ElevenLabs cannot send IAM, Cognito or JWT credentials; every request is authenticated by its HMAC signature, checked before anything is stored.');
    this.monitoring = new ReceiverMonitoring(this, 'Monitoring', {
      api: this.api,
      webhookFunction: this.handler,
      reconciler: this.reconciliation?.reconciler,
      deletionSweeper: this.deletionSweep?.sweeper,
      deadLetterQueue: this.reconciliation?.deadLetterQueue,
      callStream: this.callAnalytics?.streamFunction,
      callStreamDeadLetterQueue: this.callAnalytics?.deadLetterQueue,
      alarmEmail: props.alarmEmail,
    });
    // The $default stage URL ends in '/', and the route path starts with one.
    this.url = `${stage.url}${routePath.replace(/^\/+/, '')}`;
  }
}
