import { Stack, Validations } from 'aws-cdk-lib';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';

/*
 * cdk-nag (AwsSolutions) findings this project accepts, each where it arises and with its reason.
 * Anything not acknowledged here fails `cdk synth` and the tests.
 */

/** Acknowledges one AwsSolutions rule (or one finding of it, `Rule[Finding]`) on a construct and its children. */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::${rule}`, reason });
}

/** A function's role writes (or deletes) objects of any call under each prefix: the key is only known per call. */
export function acknowledgeObjectPrefixes(role: IConstruct, bucket: IBucket, prefixes: readonly string[], verb: 'written' | 'deleted' = 'written'): void {
  const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as never);
  for (const prefix of prefixes) {
    acknowledge(role, `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`, `Objects are ${verb} one call at a time under ${prefix}; the key is known only per call, and nothing outside that prefix is allowed.`);
  }
}
