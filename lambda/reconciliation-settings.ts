/*
 * Settings of the API reconciliation that the construct and the reconciler share, free of
 * dependencies so that the construct package ships without the SDKs.
 */

/** SQS delays a message at most this long: the 15 minutes an audio webhook gets to arrive. */
export const MAX_AUDIO_CHECK_DELAY_SECONDS = 900;

/** How far back the scheduled backfill looks: hourly runs overlap, so a failed run is caught up. */
export const DEFAULT_BACKFILL_LOOKBACK_HOURS = 6;
