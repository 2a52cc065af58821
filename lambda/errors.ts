/**
 * Domain errors. Each carries a `reason` a machine can branch on; messages say how to fix the
 * problem and never carry the payload, the signature or the secret.
 */
/** `Name reason` of any error, for logs and reports: never its message, which could quote data. */
export function describeError(error: unknown): string {
  const e = error as { name?: string; reason?: string } | undefined;
  return `${e?.name ?? 'Error'}${e?.reason ? ` ${e.reason}` : ''}`;
}

export type SignatureFailure = 'missing' | 'malformed' | 'mismatch' | 'expired' | 'future';

/** The request is not signed by ElevenLabs with our secret: answered 401, nothing stored. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  constructor(readonly reason: SignatureFailure, message: string) {
    super(message);
  }
}

/** A validly signed body that is not a valid event: answered 400, kept in the raw archive. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
  readonly reason = 'invalid_payload';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** DynamoDB or S3 failed: answered 500 so ElevenLabs retries (when retries are on). */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  /** DynamoDB refused the request itself (ValidationException): the same request fails again. */
  readonly permanent: boolean;
  constructor(readonly reason: 'object' | 'item', message: string, options?: { cause?: unknown; permanent?: boolean }) {
    super(message, options);
    this.permanent = options?.permanent ?? false;
  }
}

/** The receiver is not set up (secret unset or unreadable, environment missing): answered 500, fail closed. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(readonly reason: 'secret_unset' | 'secret_unreadable' | 'environment', message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
