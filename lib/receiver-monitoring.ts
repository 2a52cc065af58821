import { Duration } from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, MathExpression, Metric, SingleValueWidget, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE } from '../lambda/metric-names';
import { SERVICE_NAME } from '../lambda/service';

export interface ReceiverMonitoringProps {
  readonly api: HttpApi;
  readonly webhookFunction: IFunction;
  readonly reconciler?: IFunction;
  readonly deletionSweeper?: IFunction;
  readonly deadLetterQueue?: IQueue;
  /** The function consuming the calls table's stream (analytics rows, call events). */
  readonly callStream?: IFunction;
  /** Where the stream's event source mapping records the batches it gave up on. */
  readonly callStreamDeadLetterQueue?: IQueue;
  /** How far behind the table the stream function may fall before the alarm. @default Duration.minutes(15) */
  readonly callStreamMaxIteratorAge?: Duration;
  /** Receives every alarm by e-mail (confirm the subscription AWS sends). @default - no subscription */
  readonly alarmEmail?: string;
  /** Signature failures in 5 minutes that raise the alarm. @default 10 */
  readonly signatureFailureThreshold?: number;
}

const FIVE_MINUTES = Duration.minutes(5);

/** A metric the handler writes in embedded metric format. */
function receiverMetric(name: string, statistic: string, period: Duration, dimensionsMap: Record<string, string> = {}): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, statistic, period, dimensionsMap: { service: SERVICE_NAME, ...dimensionsMap } });
}

/**
 * What an operator watches: alarms to an SNS topic (function errors and throttles, API 5xx, a
 * burst of signature failures, dead letters) and a dashboard of the calls themselves.
 */
export class ReceiverMonitoring extends Construct {
  public readonly alarmTopic: Topic;
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ReceiverMonitoringProps) {
    super(scope, id);
    this.alarmTopic = new Topic(this, 'Alarms', { enforceSSL: true, masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns') });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    const alarm = (name: string, description: string, metric: Metric, threshold: number) => {
      const created = new Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(this.alarmTopic));
      return created;
    };
    const named: [string, IFunction | undefined][] = [['Webhook', props.webhookFunction], ['Reconciler', props.reconciler], ['DeletionSweeper', props.deletionSweeper], ['CallStream', props.callStream]];
    const functions: IFunction[] = [];
    for (const [which, fn] of named) {
      if (!fn) continue;
      functions.push(fn);
      alarm(`${which}Errors`, `The ${which} function failed: see its log group for error_name and error_reason.`, fn.metricErrors({ period: FIVE_MINUTES }), 1);
      alarm(`${which}Throttles`, `The ${which} function was throttled: raise reserved or account concurrency.`, fn.metricThrottles({ period: FIVE_MINUTES }), 1);
    }
    alarm('Api5xx', 'The webhook answered 5xx: storage or configuration failed; ElevenLabs retries only transcriptions, only with retries on.', props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), 1);
    alarm(
      'SignatureFailures',
      'Many requests failed the signature check: after a secret rotation, store the new secret; otherwise someone is probing the endpoint.',
      receiverMetric(METRIC.signatureFailures, 'Sum', FIVE_MINUTES),
      props.signatureFailureThreshold ?? 10,
    );
    alarm(
      'StoreErrors',
      'A webhook was accepted but DynamoDB refused its item: the call has a minimal item with store_error naming the raw body in S3. See the README (store errors).',
      receiverMetric(METRIC.storeErrors, 'Sum', FIVE_MINUTES),
      1,
    );
    if (props.deadLetterQueue) {
      alarm('DeadLetters', 'Audio checks failed 5 times: see the reconciler log, fix the cause, then redrive the dead-letter queue.', props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }), 1);
    }
    if (props.callStream) {
      alarm(
        'CallStreamFailedChanges',
        'The stream function could not carry out a call change (it retries from it): see its log for conversation_id and error_name. Rows and events of later changes wait until it goes through.',
        receiverMetric(METRIC.callChangesFailed, 'Sum', FIVE_MINUTES),
        1,
      );
      const maxAge = props.callStreamMaxIteratorAge ?? Duration.minutes(15);
      alarm(
        'CallStreamIteratorAge',
        `Analytics rows and call events are more than ${maxAge.toHumanString()} behind the table: the stream function is failing (see its log) or throttled.`,
        props.callStream.metric('IteratorAge', { statistic: 'Maximum', period: FIVE_MINUTES }),
        maxAge.toMilliseconds(),
      );
    }
    if (props.callStreamDeadLetterQueue) {
      alarm(
        'CallStreamDeadLetters',
        'The stream function gave up on call changes. Each message names the stream shard and sequence numbers, not the calls: fix the cause (see its log), then write the rows again (npm run calls -- export --stack <name>). The events of those changes are not sent again.',
        props.callStreamDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        1,
      );
    }

    const day = Duration.days(1);
    const perAgent = (metricName: string, statistic: string, label: string) =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},agent_id,service} MetricName="${metricName}"', '${statistic}', 86400)`,
        label,
        period: day,
      });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new GraphWidget({ title: 'Calls per day', left: [receiverMetric(METRIC.calls, 'Sum', day)], width: 8 }),
          new GraphWidget({ title: 'Call duration (s): average and p90', left: [receiverMetric(METRIC.callDuration, 'Average', day), receiverMetric(METRIC.callDuration, 'p90', day)], width: 8 }),
          new GraphWidget({ title: 'Cost per day (credits)', left: [receiverMetric(METRIC.callCost, 'Sum', day)], width: 8 }),
        ],
        [
          new GraphWidget({ title: 'Success rate per agent (0 to 1)', left: [perAgent(METRIC.callSucceeded, 'Average', 'success rate')], width: 12 }),
          new GraphWidget({ title: 'Calls that never connected, by reason', left: [new MathExpression({ expression: `SEARCH('{${METRICS_NAMESPACE},reason,service} MetricName="${METRIC.initiationFailures}"', 'Sum', 86400)`, label: 'not connected', period: day })], width: 12 }),
        ],
        // USD as ElevenLabs bills it (cost_fiat), beside credits; tool errors show a broken tool or its API.
        [
          new GraphWidget({
            title: 'Cost per day (USD): total and per agent',
            left: [receiverMetric(METRIC.callCostUsd, 'Sum', day).with({ label: 'total USD' }), perAgent(METRIC.callCostUsd, 'Sum', 'USD')],
            width: 12,
          }),
          new GraphWidget({
            title: 'Tool errors per day: total and per agent',
            left: [receiverMetric(METRIC.toolErrors, 'Sum', day).with({ label: 'total tool errors' }), perAgent(METRIC.toolErrors, 'Sum', 'tool errors')],
            width: 12,
          }),
        ],
        [
          new SingleValueWidget({ title: 'Signature failures and store errors (5 min)', metrics: [receiverMetric(METRIC.signatureFailures, 'Sum', FIVE_MINUTES), receiverMetric(METRIC.storeErrors, 'Sum', FIVE_MINUTES)], width: 6 }),
          new GraphWidget({ title: 'Errors', left: [...functions.map((fn) => fn.metricErrors({ period: FIVE_MINUTES })), props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' })], width: 9 }),
          new GraphWidget({ title: 'Latency (ms): p50 and p90', left: [props.webhookFunction.metricDuration({ statistic: 'p50', period: FIVE_MINUTES }), props.webhookFunction.metricDuration({ statistic: 'p90', period: FIVE_MINUTES }), props.api.metricLatency({ statistic: 'p90', period: FIVE_MINUTES })], width: 9 }),
        ],
      ],
    });
  }
}
