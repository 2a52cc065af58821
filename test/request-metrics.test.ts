import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC, recordRequestMetrics } from '../lambda/request-metrics';

function recorded(outcome: string, status = 200): string[] {
  const metrics = new Metrics({ namespace: 'test', serviceName: 'test' });
  const names: string[] = [];
  jest.spyOn(metrics, 'addMetric').mockImplementation((name) => {
    names.push(name);
    return metrics;
  });
  jest.spyOn(metrics, 'addDimensions').mockReturnValue(metrics);
  jest.spyOn(metrics, 'publishStoredMetrics').mockReturnValue(metrics);
  recordRequestMetrics(metrics, { response: { statusCode: status, body: {} }, log: { outcome, status_code: status, body_bytes: 10 } });
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
});
