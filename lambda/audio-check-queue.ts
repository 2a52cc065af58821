import type { SQSClient } from '@aws-sdk/client-sqs';
import { MAX_AUDIO_CHECK_DELAY_SECONDS } from './reconciliation-settings';


/** The message the reconciler receives: which call's audio to check. */
export interface AudioCheckMessage {
  readonly conversation_id: string;
}

/**
 * Queues an audio check, delivered after the delay, through SQS. The SQS client is loaded on the
 * first check, not at cold start: audio and failure webhooks never queue one.
 */
export function sqsAudioCheckScheduler(queueUrl: string, delaySeconds = MAX_AUDIO_CHECK_DELAY_SECONDS) {
  let client: SQSClient | undefined;
  return async (conversationId: string): Promise<void> => {
    const { SQSClient, SendMessageCommand } = await import('@aws-sdk/client-sqs');
    client ??= new SQSClient({});
    const message: AudioCheckMessage = { conversation_id: conversationId };
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: Math.min(delaySeconds, MAX_AUDIO_CHECK_DELAY_SECONDS) }));
  };
}
