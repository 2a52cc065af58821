/*
 * The npm package's entry: the construct, its props and what configuring it needs. The local
 * server, the console and the `calls` tools stay in the repository (README, "Use it in your own
 * CDK app").
 */
export { ElevenLabsWebhookReceiver, ElevenLabsWebhookReceiverProps } from './webhook-receiver';
export { ElevenLabsWebhookReceiverStack, ElevenLabsWebhookReceiverStackProps } from './receiver-stack';
export { ApiReconciliation, ApiReconciliationOptions, ApiReconciliationProps } from './api-reconciliation';
export { DeletionSweep, DeletionSweepOptions, DeletionSweepProps } from './deletion-sweep';
export { CallAnalytics, CallAnalyticsProps, CallsNamedQuery, CallsSql, CallsSqlProps } from './call-analytics';
export { ReceiverMonitoring, ReceiverMonitoringProps } from './receiver-monitoring';
export { CallEvents } from './call-events';
export { ElevenLabsEgress } from './elevenlabs-egress';
