import { buildUpdateRequest } from '../lambda/update-requests';

describe('buildUpdateRequest', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const update = {
    conversationId: 'c1',
    eventType: 'post_call_audio' as const,
    eventTimestamp: 100,
    set: { has_audio: true, audio_bytes: 5 },
    setIfMissing: { agent_id: 'a', has_audio: false },
  };

  it('sets owned attributes, fills others only if missing, records the event and its time', () => {
    const request = buildUpdateRequest('calls', update, now);
    const assignment = (attribute: string) => {
      const name = Object.entries(request.ExpressionAttributeNames).find(([, a]) => a === attribute)![0];
      return new RegExp(`${name} = (if_not_exists\\(${name}, :v\\d+\\)|:v\\d+)`).exec(request.UpdateExpression)?.[0];
    };
    expect(request.Key).toEqual({ conversation_id: 'c1' });
    expect(assignment('has_audio')).toMatch(/^#a\d+ = :v\d+$/);
    expect(assignment('agent_id')).toMatch(/^#a(\d+) = if_not_exists\(#a\1, :v\d+\)$/);
    expect(assignment('audio_event_timestamp')).toMatch(/^#a\d+ = :v\d+$/);
    expect(assignment('updated_at')).toBeDefined();
    const [, events, event] = / ADD (#a\d+) (:v\d+)/.exec(request.UpdateExpression)!;
    expect(request.ExpressionAttributeNames[events]).toBe('events_received');
    expect(request.ExpressionAttributeValues[event]).toEqual(new Set(['post_call_audio']));
  });

  it('clears the store error of its event type: a full write repairs the minimal item', () => {
    const request = buildUpdateRequest('calls', update, now);
    const [, removed] = / REMOVE (#a\d+)/.exec(request.UpdateExpression)!;
    expect(request.ExpressionAttributeNames[removed]).toBe('store_error_post_call_audio');
    const [, storeError, type] = / DELETE (#a\d+) (:v\d+)$/.exec(request.UpdateExpression)!;
    expect(request.ExpressionAttributeNames[storeError]).toBe('store_error');
    expect(request.ExpressionAttributeValues[type]).toEqual(new Set(['post_call_audio']));
    // The API's audio repairs the audio webhook's error; a check for missing audio repairs nothing.
    expect(buildUpdateRequest('calls', { ...update, eventType: 'api_audio' }, now).UpdateExpression).toMatch(/ DELETE /);
    expect(buildUpdateRequest('calls', { ...update, eventType: 'api_audio_missing' }, now).UpdateExpression).not.toMatch(/ DELETE |REMOVE/);
  });

  it('never lets a set-if-missing value fight an owned one', () => {
    const request = buildUpdateRequest('calls', update, now);
    expect(Object.values(request.ExpressionAttributeNames).filter((a) => a === 'has_audio')).toHaveLength(1);
  });

  it('applies only events newer than the one the item holds for the type', () => {
    const request = buildUpdateRequest('calls', update, now);
    expect(request.ConditionExpression).toBe('attribute_not_exists(#ts) OR #ts < :ts');
    expect(request.ExpressionAttributeNames['#ts']).toBe('audio_event_timestamp');
    expect(request.ExpressionAttributeValues[':ts']).toBe(100);
  });

  it('writes an expiry only when a retention is configured', () => {
    expect(Object.values(buildUpdateRequest('calls', update, now).ExpressionAttributeNames)).not.toContain('expires_at');
    const request = buildUpdateRequest('calls', update, now, 30);
    expect(Object.values(request.ExpressionAttributeValues)).toContain(now.getTime() / 1000 + 30 * 86_400);
  });
});
