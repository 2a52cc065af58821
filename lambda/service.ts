/** The service name in every log line, set by the construct and the handler alike. */
export const SERVICE_NAME = 'elevenlabs-webhook-receiver';
