import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from './errors';
import type { SecretSource } from './process';

/** Long enough to spare Secrets Manager, short enough that a rotation takes effect within minutes. */
export const SECRET_CACHE_SECONDS = 300;
/** A mismatching signature may force a fresh read at most this often, so forgeries cannot flood Secrets Manager. */
export const MIN_REFRESH_INTERVAL_MS = 30_000;

/**
 * The stack creates the secret without a value (it cannot know it before the webhook exists in
 * ElevenLabs); an empty or JSON value (a placeholder) also means "not set yet": fail closed.
 */
function isUnset(value: string | undefined): boolean {
  const secret = value?.trim() ?? '';
  return secret === '' || secret.startsWith('{');
}

/** @throws ConfigurationError `secret_unset` for an empty or placeholder value */
export function requireWebhookSecret(value: string | undefined, what = 'The webhook secret'): string {
  if (isUnset(value)) {
    throw new ConfigurationError('secret_unset', `${what} is not set: store it with \`aws secretsmanager put-secret-value\` (see README).`);
  }
  return (value as string).trim();
}

/** A fixed secret, for local runs and tests (`WEBHOOK_SECRET`). */
export function fixedSecret(value: string): SecretSource {
  return async () => requireWebhookSecret(value);
}

/**
 * The secret from Secrets Manager, cached for {@link SECRET_CACHE_SECONDS}. While it has no value
 * yet, every request reads it again, so the receiver starts working as soon as the user stores it;
 * `refresh` reads it again at most every {@link MIN_REFRESH_INTERVAL_MS}.
 */
export function secretsManagerSecret(secretId: string, client?: SecretsManagerClient, clock: () => number = Date.now, what = 'The webhook secret'): SecretSource {
  const provider = new SecretsProvider(client ? { awsSdkV3Client: client } : {});
  let unset = false;
  let lastRefresh = -Infinity;
  return async (options) => {
    const refresh = Boolean(options?.refresh) && clock() - lastRefresh >= MIN_REFRESH_INTERVAL_MS;
    if (refresh) lastRefresh = clock();
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: SECRET_CACHE_SECONDS, forceFetch: unset || refresh });
    } catch (error) {
      const e = error as Error;
      const cause = (e.cause as Error | undefined)?.name ?? e.name;
      // A secret created without a value has no AWSCURRENT version yet.
      unset = cause === 'ResourceNotFoundException';
      if (unset) return requireWebhookSecret(undefined, what);
      throw new ConfigurationError('secret_unreadable', `Cannot read ${what.toLowerCase()} from Secrets Manager (${cause}): check the function's permission and the secret ARN.`, { cause: error });
    }
    const text = typeof value === 'string' ? value : undefined;
    unset = isUnset(text);
    return requireWebhookSecret(text, what);
  };
}
