import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from './errors';

/** Long enough to spare Secrets Manager, short enough that a rotation takes effect within minutes. */
export const SECRET_CACHE_SECONDS = 300;

/**
 * The stack creates the secret with a JSON placeholder (it cannot know the value before the
 * webhook exists in ElevenLabs), so an empty or JSON value means "not set yet": fail closed.
 */
export function requireWebhookSecret(value: string | undefined): string {
  const secret = value?.trim() ?? '';
  if (secret === '' || secret.startsWith('{')) {
    throw new ConfigurationError(
      'secret_unset',
      'The webhook secret is not set: store the secret ElevenLabs shows with `aws secretsmanager put-secret-value` (see README).',
    );
  }
  return secret;
}

/** A fixed secret, for local runs and tests (`WEBHOOK_SECRET`). */
export function fixedSecret(value: string): () => Promise<string> {
  return async () => requireWebhookSecret(value);
}

/**
 * The secret from Secrets Manager, cached for {@link SECRET_CACHE_SECONDS}. While it still holds
 * the placeholder, every request reads it again, so the receiver starts working as soon as the
 * user stores the value.
 */
export function secretsManagerSecret(secretId: string, client?: SecretsManagerClient): () => Promise<string> {
  const provider = new SecretsProvider(client ? { awsSdkV3Client: client } : {});
  let lastWasUnset = false;
  return async () => {
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: SECRET_CACHE_SECONDS, forceFetch: lastWasUnset });
    } catch (error) {
      const e = error as Error;
      const cause = (e.cause as Error | undefined)?.name ?? e.name;
      throw new ConfigurationError('secret_unreadable', `Cannot read the webhook secret from Secrets Manager (${cause}): check the function's permission and the secret ARN.`, { cause: error });
    }
    lastWasUnset = typeof value !== 'string' || value.trim() === '' || value.trim().startsWith('{');
    return requireWebhookSecret(typeof value === 'string' ? value : undefined);
  };
}
