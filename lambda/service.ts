/** The service name in every log line, set by the construct and the handler alike. */
export const SERVICE_NAME = 'elevenlabs-webhook-receiver';

/** Where ElevenLabs posts: the deployed route's default and the local server's path. */
export const DEFAULT_WEBHOOK_PATH = '/elevenlabs/webhook';
