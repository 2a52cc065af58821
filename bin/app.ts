import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ElevenLabsEgress } from '../lib/elevenlabs-egress';
import { ElevenLabsWebhookReceiverStack } from '../lib/receiver-stack';

// No fixed env: the stack synthesizes offline and deploys to whatever account the CLI is using.
const app = new App();
const stackName: string = app.node.tryGetContext('stackName') ?? 'ElevenLabsWebhookReceiver';
// Context from `-c retentionDays=90` arrives as a string, from cdk.json as a number.
const retentionContext: unknown = app.node.tryGetContext('retentionDays');
const retentionDays = retentionContext === undefined ? undefined : Number(retentionContext);
if (retentionDays !== undefined && !(Number.isInteger(retentionDays) && retentionDays > 0)) {
  throw new Error(`retentionDays must be a whole number of days, got ${String(retentionContext)}`);
}

// `-c apiReconciliation=true` adds the ElevenLabs API reconciliation (audio checks and backfill).
const apiReconciliation = String(app.node.tryGetContext('apiReconciliation') ?? 'false') === 'true';

// `-c honourDeletionSettings=true` deletes our copy when ElevenLabs' deletion settings say so.
const honourDeletionSettings = String(app.node.tryGetContext('honourDeletionSettings') ?? 'false') === 'true';

// `-c allowedSourceIps=elevenlabs` (ElevenLabs' default-region addresses), or a comma-separated
// list of addresses and CIDR ranges that may include the word; the construct rejects a bad entry.
const allowedContext: unknown = app.node.tryGetContext('allowedSourceIps');
const allowedSourceIps = allowedContext === undefined ? undefined : ElevenLabsEgress.expandKeyword(String(allowedContext).split(','));
// `-c analytics=false` writes no analytics rows and creates no Athena table; `-c callEvents=false`
// publishes no call events. Both on unless turned off.
const analytics = String(app.node.tryGetContext('analytics') ?? 'true') !== 'false';
const callEvents = String(app.node.tryGetContext('callEvents') ?? 'true') !== 'false';

// `-c alarmEmail=ops@example.com` e-mails every alarm.
const alarmEmail: string | undefined = app.node.tryGetContext('alarmEmail');

new ElevenLabsWebhookReceiverStack(app, stackName, {
  receiver: {
    retention: retentionDays === undefined ? undefined : Duration.days(retentionDays),
    apiReconciliation: apiReconciliation ? {} : undefined,
    honourDeletionSettings: honourDeletionSettings ? {} : undefined,
    allowedSourceIps,
    alarmEmail,
    analytics,
    callEvents,
  },
});

// Every synth is checked against cdk-nag's AWS Solutions rules; an unacknowledged finding fails it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
