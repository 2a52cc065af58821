import type { EventPattern } from 'aws-cdk-lib/aws-events';
import { DETAIL_TYPES, EVENT_SOURCE } from '../lambda/analytics/event-names';

/**
 * The EventBridge events the receiver publishes with `callEvents`: their `source`, their
 * `detail-type`s and ready-made patterns for rules. The detail is the call's record without its
 * transcript (README, "Calls flow out").
 */
export class CallEvents {
  /** The `source` of every event. */
  public static readonly SOURCE: string = EVENT_SOURCE;
  /** A call's transcription was stored, or replaced by a newer one (`detail.replaced`). */
  public static readonly TRANSCRIPTION_STORED: string = DETAIL_TYPES.transcription;
  /** A call's audio was stored (`detail.audio_s3_key`). */
  public static readonly AUDIO_STORED: string = DETAIL_TYPES.audio;
  /** An outbound call never connected (`call_initiation_failure`). */
  public static readonly NOT_CONNECTED: string = DETAIL_TYPES.notConnected;
  /** A conversation connected and failed. */
  public static readonly CONVERSATION_FAILED: string = DETAIL_TYPES.conversationFailed;
  /** A call's data was deleted under ElevenLabs' deletion settings (`detail.deleted`). */
  public static readonly DATA_DELETED: string = DETAIL_TYPES.dataDeleted;

  /** A rule's pattern for the calls that failed: never connected, or a conversation that failed. */
  public static failedCalls(): EventPattern {
    return { source: [CallEvents.SOURCE], detailType: [CallEvents.NOT_CONNECTED, CallEvents.CONVERSATION_FAILED] };
  }

  private constructor() {}
}
