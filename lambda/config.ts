import { ConfigurationError } from './errors';
import { parseSourceAllowList, type SourceAllowList } from './source-ips';

/** The function's settings, all from environment variables (set by the construct, or by hand locally). */
export interface ReceiverConfig {
  readonly tableName: string;
  readonly bucketName: string;
  /** Secrets Manager ARN or name of the webhook secret (deployed). */
  readonly secretArn?: string;
  /** The plain webhook secret (local runs and tests); wins over `secretArn`. */
  readonly secret?: string;
  readonly toleranceSeconds?: number;
  readonly futureToleranceSeconds?: number;
  readonly retentionDays?: number;
  /** With API reconciliation on: the queue of delayed audio checks, and the delay. */
  readonly audioCheckQueueUrl?: string;
  readonly audioCheckDelaySeconds?: number;
  /** Comma-separated `ALLOWED_SOURCE_IPS` (addresses and CIDR ranges): only these may call. */
  readonly allowedSourceIps?: SourceAllowList;
  /** `HONOUR_DELETION_SETTINGS=true`: the deletion sweep runs. */
  readonly deletionSweep: boolean;
}

function optionalNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new ConfigurationError('environment', `${name} must be a non-negative number.`);
  return value;
}

/** @throws ConfigurationError naming the variable when it is not set */
export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError('environment', `${name} is not set.`);
  return value;
}

/**
 * `ALLOWED_SOURCE_IPS`: addresses and CIDR ranges, comma-separated. Unset, empty or only commas
 * means no allow-list (any address may call, signed as always). Exported so `npm start` can check
 * it before starting; the function checks it on its first request.
 * @throws ConfigurationError naming the first entry that is not an address or range
 */
export function readAllowedSourceIps(env: NodeJS.ProcessEnv): SourceAllowList | undefined {
  const list = parseSourceAllowList((env.ALLOWED_SOURCE_IPS ?? '').split(','), 'ALLOWED_SOURCE_IPS');
  return list.entries.length > 0 ? list : undefined;
}

/** @throws ConfigurationError naming the missing variable or the bad entry */
export function readConfig(env: NodeJS.ProcessEnv): ReceiverConfig {
  const required = (name: string) => requiredEnv(env, name);
  const secret = env.WEBHOOK_SECRET || undefined;
  const secretArn = env.WEBHOOK_SECRET_ARN || undefined;
  if (!secret && !secretArn) throw new ConfigurationError('environment', 'Set WEBHOOK_SECRET_ARN (deployed) or WEBHOOK_SECRET (local).');
  return {
    tableName: required('CALLS_TABLE_NAME'),
    bucketName: required('CALLS_BUCKET_NAME'),
    secret,
    secretArn,
    toleranceSeconds: optionalNumber(env, 'SIGNATURE_TOLERANCE_SECONDS'),
    futureToleranceSeconds: optionalNumber(env, 'SIGNATURE_FUTURE_TOLERANCE_SECONDS'),
    retentionDays: optionalNumber(env, 'RETENTION_DAYS'),
    audioCheckQueueUrl: env.AUDIO_CHECK_QUEUE_URL || undefined,
    audioCheckDelaySeconds: optionalNumber(env, 'AUDIO_CHECK_DELAY_SECONDS'),
    allowedSourceIps: readAllowedSourceIps(env),
    deletionSweep: env.HONOUR_DELETION_SETTINGS === 'true',
  };
}
