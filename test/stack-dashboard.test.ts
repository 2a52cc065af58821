import type { Template } from 'aws-cdk-lib/assertions';
import { synthStack } from './support/synth-stack';

/*
 * The dashboard as CloudWatch receives it: the synthesized body, its tokens (region, function
 * names) put back as placeholders, parsed and read widget by widget.
 */

interface Widget {
  properties: { title: string; metrics: unknown[][] };
}

function dashboardWidgets(template: Template): Widget[] {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as any[];
  expect(dashboards).toHaveLength(1);
  const [separator, parts] = dashboards[0].Properties.DashboardBody['Fn::Join'];
  const body = (parts as unknown[]).map((part) => (typeof part === 'string' ? part : `<${JSON.stringify(part).replace(/"/g, "'")}>`)).join(separator);
  return JSON.parse(body).widgets;
}

const widgets = dashboardWidgets(synthStack());
const widget = (title: string) => {
  const found = widgets.filter((w) => w.properties.title === title);
  expect(found).toHaveLength(1);
  return found[0].properties;
};
const NAMESPACE = 'ElevenLabsWebhookReceiver';
const SERVICE = ['service', 'elevenlabs-webhook-receiver'];
/** The per-agent search, as the dashboard's SEARCH expressions are written. */
const perAgentSearch = (metricName: string, statistic: string) => `SEARCH('{${NAMESPACE},agent_id,service} MetricName="${metricName}"', '${statistic}', 86400)`;

describe('the dashboard', () => {
  it('shows the USD cost per day in total and per agent', () => {
    expect(widget('Cost per day (USD): total and per agent').metrics).toEqual([
      [NAMESPACE, 'CallCostUsd', ...SERVICE, { label: 'total USD', period: 86400, stat: 'Sum' }],
      [{ label: 'USD', expression: perAgentSearch('CallCostUsd', 'Sum'), period: 86400 }],
    ]);
  });

  it('shows tool errors per day in total and per agent', () => {
    expect(widget('Tool errors per day: total and per agent').metrics).toEqual([
      [NAMESPACE, 'ToolErrors', ...SERVICE, { label: 'total tool errors', period: 86400, stat: 'Sum' }],
      [{ label: 'tool errors', expression: perAgentSearch('ToolErrors', 'Sum'), period: 86400 }],
    ]);
  });

  it('still shows the credits cost and the success rate per agent beside them', () => {
    expect(widget('Cost per day (credits)').metrics).toEqual([[NAMESPACE, 'CallCostCredits', ...SERVICE, { period: 86400, stat: 'Sum' }]]);
    expect(widget('Success rate per agent (0 to 1)').metrics).toEqual([[{ label: 'success rate', expression: perAgentSearch('CallSucceeded', 'Average'), period: 86400 }]]);
  });

  it('lays every widget out on CloudWatch\'s 24-column grid without overlap', () => {
    const cells = new Set<string>();
    for (const w of widgets as any[]) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});
