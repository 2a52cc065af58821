import { Metrics } from '@aws-lambda-powertools/metrics';
import type { CallFacts } from '../lambda/process';
import { METRIC } from '../lambda/metric-names';
import { recordRequestMetrics } from '../lambda/request-metrics';

function recorded(outcome: string, status = 200, call?: CallFacts): string[] {
  const metrics = new Metrics({ namespace: 'test', serviceName: 'test' });
  const names: string[] = [];
  jest.spyOn(metrics, 'addMetric').mockImplementation((name) => {
    names.push(name);
    return metrics;
  });
  jest.spyOn(metrics, 'addDimensions').mockReturnValue(metrics);
  jest.spyOn(metrics, 'publishStoredMetrics').mockReturnValue(metrics);
  recordRequestMetrics(metrics, { response: { statusCode: status, body: {} }, log: { outcome, status_code: status, body_bytes: 10 }, call });
  return names;
}

describe('recordRequestMetrics', () => {
  it('counts a call kept only as a minimal item as a store error, for its alarm', () => {
    expect(recorded('store_error')).toEqual([METRIC.webhooks, METRIC.storeErrors]);
  });

  it('counts nothing of the kind for a stored or duplicate event', () => {
    expect(recorded('stored')).not.toContain(METRIC.storeErrors);
    expect(recorded('duplicate')).not.toContain(METRIC.storeErrors);
  });

  it('counts a call\'s USD cost and tool errors, overall and for its agent, when the call says them', () => {
    const call: CallFacts = { type: 'post_call_transcription', agent_id: 'a', cost: 10, cost_fiat: 0.07, tool_errors: 1 };
    const names = recorded('stored', 200, call);
    expect(names.filter((n) => n === METRIC.callCostUsd)).toHaveLength(2);
    expect(names.filter((n) => n === METRIC.toolErrors)).toHaveLength(2);
    expect(recorded('stored', 200, { type: 'post_call_transcription', agent_id: 'a' })).not.toContain(METRIC.callCostUsd);
  });
});
