/*
 * The names of the receiver's CloudWatch metrics: the functions emit them, the construct's alarms
 * and dashboard read them. Free of dependencies, so the construct package ships without the SDKs.
 */

export const METRICS_NAMESPACE = 'ElevenLabsWebhookReceiver';

export const METRIC = {
  webhooks: 'Webhooks',
  signatureFailures: 'SignatureFailures',
  forbiddenSources: 'ForbiddenSources',
  storeErrors: 'StoreErrors',
  bytesStored: 'BytesStored',
  calls: 'Calls',
  callDuration: 'CallDurationSeconds',
  callCost: 'CallCostCredits',
  callCostUsd: 'CallCostUsd',
  toolErrors: 'ToolErrors',
  callSucceeded: 'CallSucceeded',
  initiationFailures: 'InitiationFailures',
  /** Stream records the stream function could not carry out (retried from them; a dead letter after the last try). */
  callChangesFailed: 'CallChangesFailed',
} as const;
