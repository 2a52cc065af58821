import { CfnOutput, Fn, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ElevenLabsWebhookReceiver, ElevenLabsWebhookReceiverProps } from './webhook-receiver';

/** The CLI command that stores a value in a secret, with the real ARN. */
function storeCommand(secretArn: string, placeholder: string): string {
  return Fn.join('', ['aws secretsmanager put-secret-value --secret-id ', secretArn, ` --secret-string '${placeholder}'`]);
}

/** Props for {@link ElevenLabsWebhookReceiverStack}. */
export interface ElevenLabsWebhookReceiverStackProps extends StackProps {
  /**
   * Options passed to the receiver construct.
   * @default - the construct's defaults
   */
  readonly receiver?: ElevenLabsWebhookReceiverProps;
}

/** Places one {@link ElevenLabsWebhookReceiver} and prints what setting up ElevenLabs needs. */
export class ElevenLabsWebhookReceiverStack extends Stack {
  public readonly receiver: ElevenLabsWebhookReceiver;

  constructor(scope: Construct, id: string, props: ElevenLabsWebhookReceiverStackProps = {}) {
    super(scope, id, props);
    this.receiver = new ElevenLabsWebhookReceiver(this, 'Receiver', props.receiver);
    const { url, table, bucket, secret } = this.receiver;

    new CfnOutput(this, 'WebhookUrl', {
      value: url,
      description: 'Paste into the ElevenLabs dashboard as the post-call webhook URL',
    });
    new CfnOutput(this, 'CallsTableName', { value: table.tableName, description: 'DynamoDB table holding one item per call' });
    new CfnOutput(this, 'CallsBucketName', { value: bucket.bucketName, description: 'S3 bucket holding raw bodies, transcripts and audio' });
    new CfnOutput(this, 'WebhookSecretArn', { value: secret.secretArn, description: 'Secret that must hold the ElevenLabs webhook secret' });
    // Single quotes keep the shell from touching the secret; the user replaces wsec_... with theirs.
    new CfnOutput(this, 'StoreSecretCommand', {
      value: storeCommand(secret.secretArn, 'wsec_...'),
      description: 'Run with the webhook secret ElevenLabs shows after the webhook is created',
    });
    const sql = this.receiver.callsSql;
    if (sql) {
      // `calls sql --stack` and `calls stats --engine athena` read these two.
      new CfnOutput(this, 'GlueDatabase', { value: sql.databaseName, description: `Glue database holding the ${sql.tableName} table (one row per call)` });
      new CfnOutput(this, 'AthenaWorkGroup', { value: sql.workGroupName, description: 'Athena workgroup for SQL over the calls (results expire, scans are capped)' });
      new CfnOutput(this, 'SqlReaderPolicyArn', { value: sql.readerPolicy.managedPolicyArn, description: 'Attach to a user or role to query the calls with Athena' });
    }
    const reconciliation = this.receiver.reconciliation;
    if (reconciliation) {
      new CfnOutput(this, 'ApiKeySecretArn', { value: reconciliation.apiKeySecret.secretArn, description: 'Secret that must hold an ElevenLabs API key' });
      new CfnOutput(this, 'StoreApiKeyCommand', {
        value: storeCommand(reconciliation.apiKeySecret.secretArn, 'sk_...'),
        description: 'Run with an ElevenLabs API key (conversations read access) to switch reconciliation on',
      });
    }
  }
}
