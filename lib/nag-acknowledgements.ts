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

/**
 * An ARN as cdk-nag names it in a finding: its text, with `<AWS::Region>` for a reference and
 * `<Id.Arn>` for an attribute. Where the stack's account and region are known (an `env`), the ARN
 * holds them as text, and so does the name.
 */
export function nagResourceName(scope: IConstruct, arn: string): string {
  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const intrinsic = value as { Ref?: string; 'Fn::GetAtt'?: string[]; 'Fn::Join'?: [string, unknown[]] };
    if (intrinsic.Ref !== undefined) return `<${intrinsic.Ref}>`;
    if (intrinsic['Fn::GetAtt']) return `<${intrinsic['Fn::GetAtt'].join('.')}>`;
    if (intrinsic['Fn::Join']) return intrinsic['Fn::Join'][1].map(render).join(intrinsic['Fn::Join'][0]);
    throw new Error(`cdk-nag's name for ${JSON.stringify(value)} is not known here`);
  };
  return render(Stack.of(scope).resolve(arn));
}

/** A function's role writes (or deletes) objects of any call under each prefix: the key is only known per call. */
export function acknowledgeObjectPrefixes(role: IConstruct, bucket: IBucket, prefixes: readonly string[], verb: 'written' | 'deleted' = 'written'): void {
  for (const prefix of prefixes) {
    acknowledge(role, `AwsSolutions-IAM5[Resource::${nagResourceName(role, bucket.bucketArn)}/${prefix}*]`, `Objects are ${verb} one call at a time under ${prefix}; the key is known only per call, and nothing outside that prefix is allowed.`);
  }
}
