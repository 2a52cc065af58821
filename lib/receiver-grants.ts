import { Grant, IGrantable, IRole } from 'aws-cdk-lib/aws-iam';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { CfnSecret, ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeObjectPrefixes } from './nag-acknowledgements';

/*
 * What both functions' constructs do alike: secrets created without a value, and object writes
 * limited to prefixes.
 */

/**
 * A secret created empty: ElevenLabs issues the value only after setup, so the template holds none
 * and no later deploy can regenerate over what the user stored.
 */
export function emptySecret(scope: Construct, id: string, description: string, issuer: string): ISecret {
  const secret = new CfnSecret(scope, id, { description });
  acknowledge(secret, 'AwsSolutions-SMG4', `${issuer} cannot be rotated from AWS. Rotate it in ElevenLabs and store the new value (README).`);
  return Secret.fromSecretCompleteArn(scope, `${id}Ref`, secret.ref);
}

/** Lets a function put objects (and any extra object actions) under the given prefixes only. */
export function grantObjectWrites(grantee: IGrantable & { role?: IRole }, bucket: IBucket, prefixes: readonly string[], extraActions: string[] = []): void {
  Grant.addToPrincipal({ grantee, actions: ['s3:PutObject', ...extraActions], resourceArns: prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)) });
  acknowledgeObjectPrefixes(grantee.role!, bucket, prefixes);
}
