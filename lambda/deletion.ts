import { BY_DELETION_DUE_INDEX, DELETION_QUEUE_DUE } from '../lib/calls-table-schema';
import { describeError } from './errors';
import { audioFolder, keySegment, legacyAudioKeys, rawCallFolder, transcriptsFolder } from './object-keys';
import { DELETION_DUE_ATTRIBUTE, DELETION_QUEUE_ATTRIBUTE, EVENT_TIMESTAMP_ATTRIBUTE } from './call-item';
import { nonEmptyText, type AttributeValue, type Attributes } from './storable';

/*
 * Honouring ElevenLabs' deletion settings: when a call's transcript (and personal data) or audio
 * is deleted at ElevenLabs, our copy goes too. A transcription puts the call in a sparse index by
 * its deletion time; a scheduled sweep finds the calls whose time has come, deletes every version
 * of their objects and removes the personal attributes from the item. What is not personal (agent,
 * start, duration, cost, outcome) stays, so the call still counts in the figures.
 */

/**
 * A call is swept at its deletion time and once more this much later, so an audio webhook or a
 * redelivery that arrives after the deletion time is deleted too.
 */
export const DELETION_GRACE_SECONDS = 86_400;

/**
 * Personal data on an item: who called, what was said or collected. Removed with the transcript.
 * (Agent, times, duration, cost, outcome, evaluation results, campaign and counts are not personal and stay.)
 */
export const PERSONAL_ATTRIBUTES = [
  'user_id', 'external_number', 'call_sid', 'transcript_summary', 'call_summary_title', 'data_collection',
  'dynamic_variables', 'feedback', 'failure_metadata', 'initiator_id', 'batch_call_recipient_id', 'timezone',
  // Rationales quote the conversation.
  'evaluation_rationale', 'data_collection_rationale',
] as const;

/** What the sweep changes on an item once its objects are gone. */
export interface ItemScrub {
  readonly conversationId: string;
  readonly set: Attributes;
  /** Kept when already there: when our copy was first deleted. */
  readonly setIfMissing: Attributes;
  readonly remove: readonly string[];
  /** Applied only while these attributes hold these values (`undefined`: still absent), i.e. no newer event came. */
  readonly unchanged: Record<string, AttributeValue | undefined>;
}

export interface DeletionPlan {
  readonly transcript: boolean;
  readonly audio: boolean;
  /** Every version of these objects is deleted. */
  readonly objectKeys: readonly string[];
  /** Every version of every object under these folders is deleted... */
  readonly folders: readonly string[];
  /** ...except under these. */
  readonly keep: readonly string[];
  readonly scrub: ItemScrub;
}

const folderOf = (key: string | undefined) => (key ? key.slice(0, key.lastIndexOf('/') + 1) : undefined);

/**
 * What deleting a call's data takes, from its item as stored; undefined when nothing is due.
 * @param nowUnixSecs the sweep's time
 */
export function planDeletion(item: Record<string, unknown>, nowUnixSecs: number): DeletionPlan | undefined {
  const due = item[DELETION_DUE_ATTRIBUTE];
  if (item[DELETION_QUEUE_ATTRIBUTE] !== DELETION_QUEUE_DUE || typeof due !== 'number' || due > nowUnixSecs) return undefined;
  const conversationId = item.conversation_id as string;
  const agentId = nonEmptyText(item.agent_id) ?? 'unknown-agent';
  const unchanged: Record<string, AttributeValue | undefined> = { [DELETION_QUEUE_ATTRIBUTE]: DELETION_QUEUE_DUE, [DELETION_DUE_ATTRIBUTE]: due };
  for (const attribute of new Set(Object.values(EVENT_TIMESTAMP_ATTRIBUTE))) {
    unchanged[attribute] = item[attribute] as AttributeValue | undefined;
  }
  const deletionTime = typeof item.deletion_time_unix_secs === 'number' ? item.deletion_time_unix_secs : due;
  if (deletionTime > nowUnixSecs) {
    // Queued early (a redelivery after an earlier deletion, and settings since moved later): wait for the time.
    const scrub = { conversationId, set: { [DELETION_DUE_ATTRIBUTE]: deletionTime }, setIfMissing: {}, remove: [], unchanged };
    return { transcript: false, audio: false, objectKeys: [], folders: [], keep: [], scrub };
  }
  const transcript = item.delete_transcript_and_pii === true;
  const audio = item.delete_audio === true;
  const deletedAt = new Date(nowUnixSecs * 1000).toISOString();
  const objectKeys: string[] = [];
  const folders = new Set<string>();
  const keep: string[] = [];
  const set: Attributes = {};
  const setIfMissing: Attributes = {};
  const remove: string[] = [];
  // Raw bodies are filed by call and type: the audio webhook's carry the recording, the others the transcript.
  const rawAudio = rawCallFolder(conversationId, 'post_call_audio');
  if (transcript) {
    // The keys on the item name the folder too (filed under another agent id); only a folder of this call counts.
    const ownFolder = (folder: string | undefined) => folder !== undefined && folder.endsWith(`/${keySegment(conversationId)}/`);
    for (const folder of [transcriptsFolder(agentId, conversationId), folderOf(nonEmptyText(item.transcript_s3_key)), folderOf(nonEmptyText(item.otel_transcript_s3_key)), rawCallFolder(conversationId)]) {
      if (ownFolder(folder)) folders.add(folder as string);
    }
    if (!audio) keep.push(rawAudio);
    remove.push(...PERSONAL_ATTRIBUTES, 'transcript_s3_key', 'otel_transcript_s3_key');
    setIfMissing.transcript_deleted_at = deletedAt;
  }
  if (audio) {
    // Every MP3 of the call (one per audio event, and the API's) is in its folder; earlier versions kept one per source.
    objectKeys.push(...new Set([nonEmptyText(item.audio_s3_key), ...legacyAudioKeys(agentId, conversationId)].filter((k): k is string => k !== undefined && !k.startsWith(audioFolder(conversationId)))));
    folders.add(audioFolder(conversationId));
    if (!transcript) folders.add(rawAudio);
    remove.push('audio_s3_key');
    setIfMissing.audio_deleted_at = deletedAt;
  }
  // A second pass a grace period after the deletion time catches what arrived late; then the call leaves the index.
  const secondPass = deletionTime + DELETION_GRACE_SECONDS;
  if (nowUnixSecs < secondPass) set[DELETION_DUE_ATTRIBUTE] = secondPass;
  else remove.push(DELETION_QUEUE_ATTRIBUTE);
  return { transcript, audio, objectKeys, folders: [...folders], keep, scrub: { conversationId, set, setIfMissing, remove, unchanged } };
}

/** What the sweep needs from storage. */
export interface DeletionStore {
  /** Conversation ids whose deletion is due by then, from the sparse index (eventually consistent). */
  dueDeletions(nowUnixSecs: number): AsyncIterable<string>;
  getCall(conversationId: string): Promise<Record<string, unknown> | undefined>;
  /** Deletes every version of these objects and of everything under these folders, except under `keep`. @returns versions deleted */
  deleteObjectVersions(keys: readonly string[], folders: readonly string[], keep?: readonly string[]): Promise<number>;
  /** @returns false when the item changed since it was read (a newer event came; the next sweep sees it) */
  scrubCall(scrub: ItemScrub): Promise<boolean>;
}

export interface SweepReport {
  due: number;
  transcriptsDeleted: number;
  audioDeleted: number;
  objectVersionsDeleted: number;
  /** Changed while being swept, or no longer due: left to the next sweep. */
  deferred: number;
  /** `conversation_id: ErrorName reason`, never a message. */
  failures: string[];
  stoppedEarly?: 'deadline';
}

export interface SweepDependencies {
  readonly store: DeletionStore;
  readonly now: () => Date;
  /** Stop before this time (ms since the epoch); the rest stays due for the next sweep. */
  readonly deadlineMs?: number;
}

/** Carries out every deletion that is due. One failing call does not stop the others; it stays due. */
export async function sweepDeletions(deps: SweepDependencies): Promise<SweepReport> {
  const report: SweepReport = { due: 0, transcriptsDeleted: 0, audioDeleted: 0, objectVersionsDeleted: 0, deferred: 0, failures: [] };
  const nowUnixSecs = Math.floor(deps.now().getTime() / 1000);
  try {
    for await (const conversationId of deps.store.dueDeletions(nowUnixSecs)) {
      if (deps.deadlineMs !== undefined && Date.now() >= deps.deadlineMs) {
        report.stoppedEarly = 'deadline';
        break;
      }
      report.due += 1;
      try {
        const item = await deps.store.getCall(conversationId);
        const plan = item && planDeletion(item, nowUnixSecs);
        if (!plan) {
          report.deferred += 1;
          continue;
        }
        // Objects first: if the item update fails, the call stays due and the next sweep deletes again.
        report.objectVersionsDeleted += await deps.store.deleteObjectVersions(plan.objectKeys, plan.folders, plan.keep);
        if (!(await deps.store.scrubCall(plan.scrub))) {
          report.deferred += 1;
          continue;
        }
        if (plan.transcript) report.transcriptsDeleted += 1;
        if (plan.audio) report.audioDeleted += 1;
      } catch (error) {
        report.failures.push(`${conversationId}: ${describeError(error)}`);
      }
    }
  } catch (error) {
    // The index itself could not be read: reported like a call, so the run still logs what it did.
    report.failures.push(`${BY_DELETION_DUE_INDEX.indexName}: ${describeError(error)}`);
  }
  return report;
}
