import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { fromDynamoDBItem } from '../attribute-values';
import { requiredEnv } from '../config';
import { METRIC, METRICS_NAMESPACE } from '../metric-names';
import { SERVICE_NAME } from '../service';
import { createStorageClients, SILENT_SDK_LOGGER } from '../storage';
import { changeActions } from './call-changes';
import { carryOut, eventBridgePublisher, s3RowStore, type Outflow } from './outflow';

/*
 * The calls table's stream, carried out: for each changed call, its analytics row in S3 and its
 * events on EventBridge (call-changes.ts decides, outflow.ts does). Records are handled in order;
 * the first that fails is reported, so Lambda retries from it (bisecting the batch) and the ones
 * before it are not repeated. Logs carry ids, counts and error names, never a call's contents.
 */
const logger = new Logger({ serviceName: SERVICE_NAME });
// A failed record is a partial batch response, not a function error: this metric is what the alarm sees.
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

type AttributeMap = Parameters<typeof fromDynamoDBItem>[0];

/** Handles a batch of stream records with the outflow given. */
export async function handleStreamRecords(event: DynamoDBStreamEvent, outflow: Outflow): Promise<DynamoDBBatchResponse> {
  let rows = 0;
  let events = 0;
  for (const record of event.Records) {
    const { OldImage, NewImage, Keys, SequenceNumber } = record.dynamodb ?? {};
    try {
      const actions = changeActions(OldImage && fromDynamoDBItem(OldImage as AttributeMap), NewImage && fromDynamoDBItem(NewImage as AttributeMap));
      await carryOut(actions, outflow);
      rows += (actions.put ? 1 : 0) + actions.remove.length;
      events += actions.events.length;
    } catch (error) {
      // Named as the other functions name theirs (error_name), which the alarms' descriptions point to.
      logger.error('call change not carried out', { conversation_id: Keys?.conversation_id?.S, event: record.eventName, error_name: (error as Error).name, done: { rows, events } });
      metrics.addMetric(METRIC.callChangesFailed, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
      return { batchItemFailures: [{ itemIdentifier: SequenceNumber ?? '' }] };
    }
  }
  logger.info('call changes', { records: event.Records.length, rows, events });
  return { batchItemFailures: [] };
}

let outflow: Outflow | undefined;

/** The stack's configuration: CALLS_BUCKET_NAME, ANALYTICS_ROWS ('false': none), EVENT_BUS_NAME (empty: none). */
function outflowFromEnv(env: NodeJS.ProcessEnv): Outflow {
  const { s3 } = createStorageClients(env);
  return {
    rows: env.ANALYTICS_ROWS === 'false' ? undefined : s3RowStore(s3, requiredEnv(env, 'CALLS_BUCKET_NAME')),
    events: env.EVENT_BUS_NAME ? eventBridgePublisher(new EventBridgeClient({ logger: SILENT_SDK_LOGGER }), env.EVENT_BUS_NAME) : undefined,
  };
}

export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  outflow ??= outflowFromEnv(process.env);
  return handleStreamRecords(event, outflow);
}
