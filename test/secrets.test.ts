import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../lambda/errors';
import { fixedSecret, MIN_REFRESH_INTERVAL_MS, secretsManagerSecret } from '../lambda/secrets';
import { startFakeSecretsManager } from './support/fake-secrets-manager';

/* The Secrets Manager adapter through the real SDK client, against a loopback stand-in. */
let fake: Awaited<ReturnType<typeof startFakeSecretsManager>>;
let client: SecretsManagerClient;

beforeEach(async () => {
  fake = await startFakeSecretsManager();
  client = new SecretsManagerClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
});

afterEach(async () => {
  client.destroy();
  await fake.close();
});

async function reasonOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).reason;
  }
  return undefined;
}

describe('secretsManagerSecret', () => {
  it('fails closed while the secret has no value, reading it on every request, and works once it is stored', async () => {
    const getSecret = secretsManagerSecret('arn:secret', client);
    expect(await reasonOf(getSecret())).toBe('secret_unset');
    expect(await reasonOf(getSecret())).toBe('secret_unset');
    expect(fake.reads).toBe(2);
    fake.setValue('wsec_stored');
    expect(await getSecret()).toBe('wsec_stored');
  });

  it('treats a JSON placeholder as unset', async () => {
    fake.setValue('{"unset":"placeholder"}');
    expect(await reasonOf(secretsManagerSecret('arn:secret', client)())).toBe('secret_unset');
  });

  it('caches a stored secret instead of reading it per request', async () => {
    fake.setValue('wsec_one');
    const getSecret = secretsManagerSecret('arn:secret', client);
    for (let i = 0; i < 5; i += 1) expect(await getSecret()).toBe('wsec_one');
    expect(fake.reads).toBe(1);
  });

  it('reads a rotated secret on refresh, at most once per interval', async () => {
    let now = 1_000_000;
    fake.setValue('wsec_old');
    const getSecret = secretsManagerSecret('arn:secret', client, () => now);
    expect(await getSecret()).toBe('wsec_old');
    fake.setValue('wsec_new');
    expect(await getSecret()).toBe('wsec_old');
    expect(await getSecret({ refresh: true })).toBe('wsec_new');
    expect(fake.reads).toBe(2);
    fake.setValue('wsec_newer');
    expect(await getSecret({ refresh: true })).toBe('wsec_new');
    expect(fake.reads).toBe(2);
    now += MIN_REFRESH_INTERVAL_MS;
    expect(await getSecret({ refresh: true })).toBe('wsec_newer');
  });

  it('says the secret is unreadable when Secrets Manager cannot be reached', async () => {
    const unreachable = new SecretsManagerClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
    expect(await reasonOf(secretsManagerSecret('arn:secret', unreachable)())).toBe('secret_unreadable');
    unreachable.destroy();
  });
});

describe('fixedSecret', () => {
  it('returns the secret, trimmed, and refuses an empty one', async () => {
    expect(await fixedSecret(' wsec_x\n')()).toBe('wsec_x');
    expect(await reasonOf(fixedSecret('')())).toBe('secret_unset');
  });
});
