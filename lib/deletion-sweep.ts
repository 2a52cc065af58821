import { Duration } from 'aws-cdk-lib';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BUCKET_PREFIXES } from '../lambda/object-keys';
import { BY_DELETION_DUE_INDEX } from './calls-table-schema';
import { acknowledgeObjectPrefixes } from './nag-acknowledgements';
import { wholeDuration } from './prop-checks';
import { receiverFunction } from './receiver-function';

/** Options of the deletion sweep. All optional. */
export interface DeletionSweepOptions {
  /**
   * How often due deletions are carried out, in whole minutes: our copy goes at most this long after ElevenLabs'.
   * @default Duration.minutes(15)
   */
  readonly interval?: Duration;
}

export interface DeletionSweepProps extends DeletionSweepOptions {
  readonly table: ITable;
  readonly bucket: IBucket;
  readonly logRetention: RetentionDays;
}

/**
 * Honours ElevenLabs' deletion settings on our copy: a scheduled function finds the calls whose
 * deletion time has come (a sparse index), permanently deletes every version of their transcript,
 * audio and raw objects, and removes the personal attributes from their items.
 * The only part of the receiver that can delete anything.
 */
export class DeletionSweep extends Construct {
  public readonly sweeper: IFunction;

  constructor(scope: Construct, id: string, props: DeletionSweepProps) {
    super(scope, id);
    // A schedule runs every whole number of minutes.
    const interval = props.interval ?? Duration.minutes(15);
    wholeDuration(interval, 'minutes', 'honourDeletionSettings.interval', 1);
    const sweeper = receiverFunction(this, 'Sweeper', {
      entry: 'deletion-handler.ts',
      memorySize: 256,
      timeout: Duration.minutes(5),
      environment: { CALLS_TABLE_NAME: props.table.tableName, CALLS_BUCKET_NAME: props.bucket.bucketName },
      logRetention: props.logRetention,
      // A failed sweep is not retried at once: its calls stay due and the next scheduled run takes them.
      retryAttempts: 0,
    });
    this.sweeper = sweeper;
    new Rule(this, 'Schedule', {
      description: 'Deletes what ElevenLabs deletion settings say is due',
      schedule: Schedule.rate(interval),
      targets: [new LambdaFunction(sweeper)],
    });

    // Finds due calls in the keys-only index, reads and scrubs the item; never deletes an item.
    Grant.addToPrincipal({ grantee: sweeper, actions: ['dynamodb:Query'], resourceArns: [`${props.table.tableArn}/index/${BY_DELETION_DUE_INDEX.indexName}`] });
    Grant.addToPrincipal({ grantee: sweeper, actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resourceArns: [props.table.tableArn] });
    // Lists and deletes object versions under the receiver's prefixes only.
    Grant.addToPrincipal({
      grantee: sweeper,
      actions: ['s3:ListBucketVersions'],
      resourceArns: [props.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': BUCKET_PREFIXES.map((prefix) => `${prefix}*`) } },
    });
    Grant.addToPrincipal({ grantee: sweeper, actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], resourceArns: BUCKET_PREFIXES.map((prefix) => props.bucket.arnForObjects(`${prefix}*`)) });
    acknowledgeObjectPrefixes(sweeper.role!, props.bucket, BUCKET_PREFIXES, 'deleted');
  }
}
