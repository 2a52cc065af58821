/*
 * The names of the events the stream function publishes: the construct's rule patterns use them
 * too. Free of dependencies, so the construct package ships without the SDKs.
 */

/** The `source` of every event this receiver publishes. */
export const EVENT_SOURCE = 'elevenlabs-webhook-receiver';

/** What other systems can hear of a call, as EventBridge `detail-type`s. */
export const DETAIL_TYPES = {
  transcription: 'Call Transcription Stored',
  audio: 'Call Audio Stored',
  notConnected: 'Call Not Connected',
  conversationFailed: 'Call Conversation Failed',
  dataDeleted: 'Call Data Deleted',
} as const;
