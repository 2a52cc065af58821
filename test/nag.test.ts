import { App, Stack, StackProps, Validations } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElevenLabsWebhookReceiverStack } from '../lib/receiver-stack';
import type { ElevenLabsWebhookReceiverProps } from '../lib/webhook-receiver';
import { CDK_JSON_CONTEXT } from './support/webhooks';

/* cdk-nag's AWS Solutions rules, as `cdk synth` runs them (bin/app.ts): every finding fixed or acknowledged. */

function synthWithNag(receiver?: ElevenLabsWebhookReceiverProps, addToStack?: (stack: ElevenLabsWebhookReceiverStack) => void, stackProps: StackProps = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'nag-'));
  const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new ElevenLabsWebhookReceiverStack(app, 'Nagged', { ...stackProps, receiver });
  addToStack?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
    return { passed: true, violations: [] as string[] };
  } catch {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((p: any) => p.violations.map((v: any) => v.ruleName));
    return { passed: false, violations };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('cdk-nag AwsSolutions', () => {
  it('passes the default stack', () => {
    expect(synthWithNag()).toEqual({ passed: true, violations: [] });
  });

  it('passes the stack with API reconciliation', () => {
    expect(synthWithNag({ apiReconciliation: {} })).toEqual({ passed: true, violations: [] });
  });

  it('passes the stack that honours ElevenLabs deletion settings', () => {
    expect(synthWithNag({ honourDeletionSettings: {}, apiReconciliation: {} })).toEqual({ passed: true, violations: [] });
  });

  it('passes the stack with analytics or call events off, both off, and events to a bus of the user\'s', () => {
    expect(synthWithNag({ analytics: false })).toEqual({ passed: true, violations: [] });
    expect(synthWithNag({ callEvents: false })).toEqual({ passed: true, violations: [] });
    expect(synthWithNag({ analytics: false, callEvents: false })).toEqual({ passed: true, violations: [] });
    expect(synthWithNag({ eventBus: EventBus.fromEventBusArn(new Stack(new App(), 'Shared'), 'Bus', 'arn:aws:events:eu-west-1:111122223333:event-bus/crm') })).toEqual({ passed: true, violations: [] });
  });

  it('passes a stack whose account and region are known (an env), where ARNs hold them as text', () => {
    const every = { apiReconciliation: {}, honourDeletionSettings: {} };
    expect(synthWithNag(every, undefined, { env: { account: '123456789012', region: 'eu-west-1' } })).toEqual({ passed: true, violations: [] });
    expect(synthWithNag(every, undefined, { env: { region: 'ap-southeast-2' } })).toEqual({ passed: true, violations: [] });
  });

  it('fails on a new unacknowledged finding', () => {
    const result = synthWithNag(undefined, (stack) => new Bucket(stack, 'Unlogged'));
    expect(result.passed).toBe(false);
    expect(result.violations).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});
