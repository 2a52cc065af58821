import { DELETION_GRACE_SECONDS, PERSONAL_ATTRIBUTES, planDeletion, sweepDeletions, type DeletionStore, type ItemScrub } from '../lambda/deletion';
import { StorageError } from '../lambda/errors';
import { buildScrubRequest } from '../lambda/update-requests';

/** An item as the webhook leaves it for a phone call whose transcript and audio ElevenLabs deletes at 1000. */
function item(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    conversation_id: 'conv_1',
    agent_id: 'agent_1',
    cost: 142,
    external_number: '+15550100123',
    transcript_summary: 'Jordan called',
    transcript_s3_key: 'transcripts/agent_1/conv_1/900.json',
    audio_s3_key: 'audio/agent_1/conv_1.mp3',
    transcription_event_timestamp: 900,
    audio_event_timestamp: 901,
    deletion_time_unix_secs: 1000,
    delete_transcript_and_pii: true,
    delete_audio: true,
    deletion_queue: 'due',
    deletion_due_unix_secs: 1000,
    ...overrides,
  };
}

describe('planDeletion', () => {
  it('is nothing before the deletion time, or for a call not in the queue', () => {
    expect(planDeletion(item(), 999)).toBeUndefined();
    expect(planDeletion(item({ deletion_queue: undefined }), 5000)).toBeUndefined();
  });

  it('deletes every version of transcripts, audio and raw bodies, and removes personal attributes', () => {
    const plan = planDeletion(item(), 1000)!;
    expect(plan.folders).toEqual(['transcripts/agent_1/conv_1/', 'raw/calls/conv_1/', 'audio/calls/conv_1/']);
    expect(plan.keep).toEqual([]);
    expect([...plan.objectKeys].sort()).toEqual(['audio/agent_1/conv_1.api.mp3', 'audio/agent_1/conv_1.mp3']);
    expect(plan.scrub.remove).toEqual(expect.arrayContaining([...PERSONAL_ATTRIBUTES, 'transcript_s3_key', 'audio_s3_key']));
    expect(plan.scrub.remove).not.toContain('cost');
    // When our copy was first deleted: a later pass does not move it.
    expect(plan.scrub.setIfMissing).toEqual({ transcript_deleted_at: '1970-01-01T00:16:40.000Z', audio_deleted_at: '1970-01-01T00:16:40.000Z' });
  });

  it('touches only what the settings name: audio alone, or the transcript with the raw audio bodies kept', () => {
    const audioOnly = planDeletion(item({ delete_transcript_and_pii: false }), 1000)!;
    // Every MP3 of the call (one per audio event) is in its audio folder.
    expect(audioOnly.folders).toEqual(['audio/calls/conv_1/', 'raw/calls/conv_1/post_call_audio/']);
    expect(audioOnly.scrub.remove).not.toContain('transcript_summary');
    expect(audioOnly.scrub.setIfMissing).not.toHaveProperty('transcript_deleted_at');
    const transcriptOnly = planDeletion(item({ delete_audio: false }), 1000)!;
    expect(transcriptOnly.folders).toContain('raw/calls/conv_1/');
    expect(transcriptOnly.keep).toEqual(['raw/calls/conv_1/post_call_audio/']);
    expect(transcriptOnly.objectKeys).toEqual([]);
  });

  it('schedules a second pass a grace period after the deletion time, then leaves the queue', () => {
    expect(planDeletion(item(), 1000)!.scrub.set.deletion_due_unix_secs).toBe(1000 + DELETION_GRACE_SECONDS);
    const last = planDeletion(item({ deletion_due_unix_secs: 1000 + DELETION_GRACE_SECONDS }), 1000 + DELETION_GRACE_SECONDS)!;
    expect(last.scrub.remove).toContain('deletion_queue');
    expect(last.scrub.set).not.toHaveProperty('deletion_due_unix_secs');
  });

  it('applies only if no event changed the item since it was read', () => {
    expect(planDeletion(item(), 1000)!.scrub.unchanged).toEqual({
      deletion_queue: 'due',
      deletion_due_unix_secs: 1000,
      transcription_event_timestamp: 900,
      audio_event_timestamp: 901,
      failure_event_timestamp: undefined,
      otel_transcription_event_timestamp: undefined,
      audio_missing_checked_at: undefined,
    });
  });

  it('never takes a folder that is not the call\'s own from a key on the item', () => {
    const plan = planDeletion(item({ transcript_s3_key: 'transcripts/agent_1/conv_1.json' }), 1000)!;
    expect(plan.folders).toEqual(['transcripts/agent_1/conv_1/', 'raw/calls/conv_1/', 'audio/calls/conv_1/']);
  });

  it('waits for the deletion time when queued before it, deleting nothing', () => {
    const plan = planDeletion(item({ deletion_due_unix_secs: 900, deletion_time_unix_secs: 5000 }), 1000)!;
    expect(plan).toMatchObject({ transcript: false, audio: false, objectKeys: [], folders: [] });
    expect(plan.scrub).toMatchObject({ set: { deletion_due_unix_secs: 5000 }, remove: [] });
  });

  it('also finds transcripts filed under another agent id', () => {
    const plan = planDeletion(item({ agent_id: undefined, otel_transcript_s3_key: 'transcripts/agent_2/conv_1/950.otel.json' }), 1000)!;
    expect([...plan.folders].sort()).toEqual(['audio/calls/conv_1/', 'raw/calls/conv_1/', 'transcripts/agent_1/conv_1/', 'transcripts/agent_2/conv_1/', 'transcripts/unknown-agent/conv_1/']);
  });
});

describe('buildScrubRequest', () => {
  it('sets, sets where missing, removes, under the unchanged condition', () => {
    const scrub: ItemScrub = { conversationId: 'c', set: { deletion_due_unix_secs: 5 }, setIfMissing: { transcript_deleted_at: 't' }, remove: ['transcript_summary'], unchanged: { deletion_queue: 'due', audio_event_timestamp: undefined } };
    const request = buildScrubRequest('calls', scrub);
    expect(request.UpdateExpression).toBe('SET #a0 = :v1, #a2 = if_not_exists(#a2, :v3) REMOVE #a4');
    expect(request.ConditionExpression).toBe('#a5 = :v6 AND attribute_not_exists(#a7)');
    expect(request.ExpressionAttributeNames).toMatchObject({ '#a0': 'deletion_due_unix_secs', '#a2': 'transcript_deleted_at', '#a4': 'transcript_summary', '#a5': 'deletion_queue', '#a7': 'audio_event_timestamp' });
  });
});

describe('sweepDeletions', () => {
  function store(items: Record<string, Record<string, unknown>>, failOn?: string): DeletionStore & { scrubs: ItemScrub[] } {
    const scrubs: ItemScrub[] = [];
    return {
      scrubs,
      async *dueDeletions() {
        yield* Object.keys(items);
      },
      getCall: async (id) => items[id],
      deleteObjectVersions: async (keys, folders) => {
        if (keys.some((k) => k.includes(failOn ?? '\0'))) throw new StorageError('object', 'S3 object deletion failed: TimeoutError (HTTP -)');
        return keys.length + folders.length;
      },
      scrubCall: async (scrub) => {
        scrubs.push(scrub);
        return true;
      },
    };
  }

  it('reports an index it cannot read, after what it did', async () => {
    const failing: DeletionStore = {
      ...store({}),
      async *dueDeletions() {
        throw new StorageError('item', 'DynamoDB Query failed: TimeoutError (HTTP -)');
      },
    };
    const report = await sweepDeletions({ store: failing, now: () => new Date(2_000_000) });
    expect(report).toMatchObject({ due: 0, failures: ['by_deletion_due: StorageError item'] });
  });

  it('goes on past a failing call, names it, and does not scrub an item whose objects were not deleted', async () => {
    const s = store({ conv_bad: item({ conversation_id: 'conv_bad', audio_s3_key: 'audio/agent_1/conv_bad.mp3' }), conv_1: item() }, 'conv_bad');
    const report = await sweepDeletions({ store: s, now: () => new Date(2_000_000) });
    expect(report.failures).toEqual(['conv_bad: StorageError object']);
    expect(report).toMatchObject({ due: 2, transcriptsDeleted: 1, audioDeleted: 1 });
    expect(s.scrubs.map((x) => x.conversationId)).toEqual(['conv_1']);
  });

  it('defers calls the index still lists but that are no longer due', async () => {
    const report = await sweepDeletions({ store: store({ conv_1: item({ deletion_due_unix_secs: 5000 }) }), now: () => new Date(2_000_000) });
    expect(report).toMatchObject({ due: 1, deferred: 1, transcriptsDeleted: 0 });
  });

  it('stops at the deadline, leaving the rest due', async () => {
    const report = await sweepDeletions({ store: store({ conv_1: item() }), now: () => new Date(2_000_000), deadlineMs: Date.now() - 1 });
    expect(report).toMatchObject({ due: 0, stoppedEarly: 'deadline' });
  });
});
