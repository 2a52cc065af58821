import { Duration, Token } from 'aws-cdk-lib';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_API_BASE_URL } from '../lambda/elevenlabs-api';
import { checkedBaseUrl } from '../lambda/elevenlabs-api-guards';
import { AUDIO_PREFIX, RAW_PREFIX } from '../lambda/object-keys';
import { DEFAULT_BACKFILL_LOOKBACK_HOURS, MAX_AUDIO_CHECK_DELAY_SECONDS } from '../lambda/reconciliation-settings';
import { wholeDuration } from './prop-checks';
import { receiverFunction } from './receiver-function';
import { emptySecret, grantObjectWrites } from './receiver-grants';

/** Options of the ElevenLabs API reconciliation. All optional. */
export interface ApiReconciliationOptions {
  /**
   * Secret holding an ElevenLabs API key (read access to conversations is enough).
   * @default - a new secret, created empty; the reconciler does nothing until it is stored
   */
  readonly apiKeySecret?: ISecret;
  /**
   * How long after a transcription with audio the audio is checked for (the time its webhook gets).
   * @default Duration.minutes(15) (SQS's longest delay)
   */
  readonly audioCheckDelay?: Duration;
  /**
   * How often the backfill lists conversations through the API, in whole minutes.
   * @default Duration.hours(1)
   */
  readonly backfillInterval?: Duration;
  /**
   * How far back each backfill looks, in whole hours; at least the interval, more to catch up a failed run.
   * @default Duration.hours(6)
   */
  readonly backfillLookback?: Duration;
  /**
   * The ElevenLabs API (data-residency workspaces use their own): https, or http to a loopback
   * address; no user name, password, query or fragment. Checked at synth.
   * @default 'https://api.elevenlabs.io'
   */
  readonly apiBaseUrl?: string;
}

export interface ApiReconciliationProps extends ApiReconciliationOptions {
  readonly table: ITable;
  readonly bucket: IBucket;
  /** The webhook function, which queues audio checks. */
  readonly webhookFunction: LambdaFunction;
  readonly logRetention: RetentionDays;
  readonly retentionDays?: number;
}

/**
 * Closes what webhooks leave open, through the ElevenLabs API: a delayed audio check per call
 * (SQS, with a dead-letter queue) and a scheduled backfill of calls whose webhooks never came.
 */
export class ApiReconciliation extends Construct {
  public readonly apiKeySecret: ISecret;
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly reconciler: IFunction;

  constructor(scope: Construct, id: string, props: ApiReconciliationProps) {
    super(scope, id);
    // SQS delays a message at most 15 minutes; the schedule takes whole minutes; the backfill looks
    // back in whole hours, further than its interval so a failed run is caught up.
    const delaySeconds = wholeDuration(props.audioCheckDelay ?? Duration.minutes(15), 'seconds', 'apiReconciliation.audioCheckDelay', 0, MAX_AUDIO_CHECK_DELAY_SECONDS);
    const backfillInterval = props.backfillInterval ?? Duration.hours(1);
    const intervalMinutes = wholeDuration(backfillInterval, 'minutes', 'apiReconciliation.backfillInterval', 1);
    const lookbackHours = wholeDuration(props.backfillLookback ?? Duration.hours(DEFAULT_BACKFILL_LOOKBACK_HOURS), 'hours', 'apiReconciliation.backfillLookback', 1);
    if (lookbackHours * 60 < intervalMinutes) throw new Error(`apiReconciliation.backfillLookback (${lookbackHours} hours) must be at least apiReconciliation.backfillInterval (${backfillInterval.toHumanString()}), or calls between runs are never looked at`);
    // The reconciler's own check, run now, so a bad URL fails the synth rather than the first run after
    // deploy. Empty means the default there; a token (a parameter) is only known there, so it is left to it.
    if (props.apiBaseUrl && !Token.isUnresolved(props.apiBaseUrl)) checkedBaseUrl(props.apiBaseUrl, { baseUrl: 'apiBaseUrl', apiKey: 'apiKeySecret' });

    this.apiKeySecret =
      props.apiKeySecret ??
      emptySecret(this, 'ApiKey', 'An ElevenLabs API key for the receiver (conversations read access). Created empty: see the README.', 'An API key is issued by ElevenLabs and');

    const timeout = Duration.minutes(5);
    this.deadLetterQueue = new Queue(this, 'AudioChecksDead', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    this.queue = new Queue(this, 'AudioChecks', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function timeout, as Lambda's SQS integration advises.
      visibilityTimeout: Duration.minutes(timeout.toMinutes() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    const environment: Record<string, string> = {
      CALLS_TABLE_NAME: props.table.tableName,
      CALLS_BUCKET_NAME: props.bucket.bucketName,
      ELEVENLABS_API_KEY_SECRET_ARN: this.apiKeySecret.secretArn,
      ELEVENLABS_API_BASE_URL: props.apiBaseUrl ?? DEFAULT_API_BASE_URL,
      BACKFILL_LOOKBACK_HOURS: String(lookbackHours),
    };
    if (props.retentionDays !== undefined) environment.RETENTION_DAYS = String(props.retentionDays);
    // Streams recordings in 5 MB parts, so memory does not grow with the call's length.
    const reconciler = receiverFunction(this, 'Reconciler', { entry: 'reconciler-handler.ts', memorySize: 512, timeout, environment, logRetention: props.logRetention });
    this.reconciler = reconciler;
    // One call per invocation, so a long download has the whole timeout; two at a time at most,
    // gentle on the ElevenLabs API's rate limits.
    reconciler.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, maxConcurrency: 2, reportBatchItemFailures: true }));
    new Rule(this, 'Backfill', {
      description: 'Stores ElevenLabs conversations whose webhooks never arrived',
      schedule: Schedule.rate(backfillInterval),
      targets: [new LambdaTarget(reconciler)],
    });

    // Reads and updates items; writes conversations fetched (raw, as transcripts) and audio (multipart, so it may abort one); no deletes.
    Grant.addToPrincipal({ grantee: reconciler, actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resourceArns: [props.table.tableArn] });
    grantObjectWrites(reconciler, props.bucket, [AUDIO_PREFIX, RAW_PREFIX], ['s3:AbortMultipartUpload']);
    // HeadObject on audio only: whether the MP3 an item points at was written (an item is written before its MP3).
    Grant.addToPrincipal({ grantee: reconciler, actions: ['s3:GetObject'], resourceArns: [props.bucket.arnForObjects(`${AUDIO_PREFIX}*`)] });
    this.apiKeySecret.grantRead(reconciler);

    this.queue.grantSendMessages(props.webhookFunction);
    props.webhookFunction.addEnvironment('AUDIO_CHECK_QUEUE_URL', this.queue.queueUrl);
    props.webhookFunction.addEnvironment('AUDIO_CHECK_DELAY_SECONDS', String(delaySeconds));
  }
}
