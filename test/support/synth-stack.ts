import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ElevenLabsWebhookReceiverStack } from '../../lib/receiver-stack';
import type { ElevenLabsWebhookReceiverProps } from '../../lib/webhook-receiver';
import { CDK_JSON_CONTEXT } from './webhooks';

/** The stack as `cdk synth` makes it, with the app's feature flags; no esbuild (bundle.test.ts runs it). */
export function synthStack(receiver?: ElevenLabsWebhookReceiverProps): Template {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new ElevenLabsWebhookReceiverStack(app, 'Test', { receiver }));
}
