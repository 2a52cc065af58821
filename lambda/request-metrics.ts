import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC } from './metric-names';
import type { WebhookResult } from './process';

/*
 * CloudWatch metrics, as embedded-metric-format log lines (no API calls, no added latency).
 * Per request: webhooks by type and outcome, signature failures, store errors, bytes stored. Per call, on its
 * first delivery only: duration, cost (credits and USD), tool errors and success by agent, and failures to connect by reason.
 */

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** One log line of metrics under one set of dimensions (cleared again once published). */
function emit(metrics: Metrics, dimensions: Record<string, string>, values: [string, Unit, number][]) {
  metrics.addDimensions(dimensions);
  for (const [name, unit, value] of values) metrics.addMetric(name, unit, value);
  metrics.publishStoredMetrics();
}

/** Emits what one request came to. Agent ids are dimensions; nothing personal is. */
export function recordRequestMetrics(metrics: Metrics, { log, call }: WebhookResult): void {
  emit(metrics, { type: log.type ?? 'none', outcome: log.outcome }, [[METRIC.webhooks, MetricUnit.Count, 1]]);
  if (log.status_code === 401) emit(metrics, {}, [[METRIC.signatureFailures, MetricUnit.Count, 1]]);
  if (log.status_code === 403) emit(metrics, {}, [[METRIC.forbiddenSources, MetricUnit.Count, 1]]);
  if (log.outcome === 'store_error') emit(metrics, {}, [[METRIC.storeErrors, MetricUnit.Count, 1]]);
  if (log.stored_bytes) emit(metrics, {}, [[METRIC.bytesStored, MetricUnit.Bytes, log.stored_bytes]]);
  if (call?.type === 'post_call_transcription') {
    const values: [string, Unit, number][] = [[METRIC.calls, MetricUnit.Count, 1]];
    if (call.call_duration_secs !== undefined) values.push([METRIC.callDuration, MetricUnit.Seconds, call.call_duration_secs]);
    if (call.cost !== undefined) values.push([METRIC.callCost, MetricUnit.Count, call.cost]);
    if (call.cost_fiat !== undefined) values.push([METRIC.callCostUsd, MetricUnit.NoUnit, call.cost_fiat]);
    if (call.tool_errors !== undefined) values.push([METRIC.toolErrors, MetricUnit.Count, call.tool_errors]);
    if (call.call_successful === 'success' || call.call_successful === 'failure') values.push([METRIC.callSucceeded, MetricUnit.Count, call.call_successful === 'success' ? 1 : 0]);
    // Overall and per agent: the dashboard shows both.
    emit(metrics, {}, values);
    if (call.agent_id) emit(metrics, { agent_id: call.agent_id }, values);
  }
  if (call?.type === 'call_initiation_failure') {
    emit(metrics, { reason: call.failure_reason ?? 'unknown' }, [[METRIC.initiationFailures, MetricUnit.Count, 1]]);
  }
}
