import { terminalText } from '../terminal-text';
import { campaignSection, connectionSection, costSection, dataCollectedSection, errorsSection, evaluationSection, feedbackText, section, sessionSection, truncatedText, turnsSection } from './call-detail-sections';
import { formatDuration } from './calls-format';
import type { CallItem } from './calls-query';

/*
 * `calls show`: one call, the way a person reads it, in groups (call-detail-sections.ts). Every
 * stored name and value goes through terminalText: stored text must not drive the terminal.
 */

function clock(seconds: unknown): string {
  const s = typeof seconds === 'number' ? Math.round(seconds) : 0;
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The transcript turn by turn, with tool calls and results, from a transcription event. */
export function formatTranscript(event: any): string[] {
  const turns: any[] = Array.isArray(event?.data?.transcript) ? event.data.transcript : [];
  const lines: string[] = [];
  for (const turn of turns) {
    const at = `[${clock(turn?.time_in_call_secs)}]`;
    const role = terminalText(turn?.role ?? '?');
    if (turn?.message) lines.push(`  ${at} ${role}: ${terminalText(turn.message)}`);
    for (const call of Array.isArray(turn?.tool_calls) ? turn.tool_calls : []) {
      lines.push(`  ${at} ${role} → ${terminalText(call?.tool_name ?? 'tool')}(${terminalText(call?.params_as_json)})`);
    }
    for (const result of Array.isArray(turn?.tool_results) ? turn.tool_results : []) {
      lines.push(`  ${at} ${terminalText(result?.tool_name ?? 'tool')} ← ${result?.is_error ? 'error: ' : ''}${terminalText(result?.result_value)}`);
    }
  }
  return lines;
}

/** Everything known about a call; `transcriptEvent` is the JSON transcription read from S3, if any. */
export function formatCallDetail(item: CallItem, bucketName: string | undefined, transcriptEvent?: unknown): string {
  const where = (key: string | undefined) => (key ? `s3://${bucketName ?? '<bucket>'}/${key}` : undefined);
  const lines = [
    `Call ${terminalText(item.conversation_id)}`,
    '',
    ...section('Call', [
      ['agent', item.agent_name ? [item.agent_name, item.agent_id && `(${item.agent_id})`].filter(Boolean).join(' ') : item.agent_id],
      ['started', item.start_time],
      ['duration', item.call_duration_secs === undefined ? undefined : formatDuration(item.call_duration_secs)],
      ['status', item.status],
      ['ended by', item.termination_reason],
      ['language', item.main_language],
      ['feedback', feedbackText(item.feedback)],
    ]),
    ...connectionSection(item),
    ...sessionSection(item),
    ...campaignSection(item),
    ...costSection(item),
    ...section('Not connected', [
      ['reason', item.failure_reason],
      ['provider', item.failure_provider],
      ['details', item.failure_metadata],
    ]),
    ...errorsSection(item),
    ...section('Analysis', [
      ['successful', item.call_successful],
      ['success score', item.call_success_score],
      ['title', item.call_summary_title],
      ['summary', item.transcript_summary],
    ]),
    ...turnsSection(item),
    ...dataCollectedSection(item),
    ...evaluationSection(item),
    ...section('Dynamic variables', Object.entries(item.dynamic_variables ?? {})),
    ...section('Stored', [
      ['audio', where(item.audio_s3_key) && `${where(item.audio_s3_key)} (${item.audio_bytes} bytes, audio/mpeg, from the ${item.audio_source ?? 'webhook'})`],
      ['audio status', item.audio_fetch_status === 'deleted' ? 'deleted by ElevenLabs before it could be fetched' : undefined],
      ['audio deleted', item.audio_deleted_at && `${item.audio_deleted_at}, as ElevenLabs' deletion settings said`],
      ['transcript', where(item.transcript_s3_key)],
      ['transcript deleted', item.transcript_deleted_at && `${item.transcript_deleted_at} with the personal data, as ElevenLabs' deletion settings said`],
      ['deletion at', item.deletion_time && [item.deletion_time, item.delete_transcript_and_pii && 'transcript and personal data', item.delete_audio && 'audio'].filter(Boolean).join(', ')],
      ['events', item.events_received && [...item.events_received].sort().join(', ')],
      ['updated', item.updated_at],
      ['truncated', truncatedText(item)],
    ]),
  ];
  if (item.has_audio && !item.audio_s3_key && !item.audio_deleted_at) {
    lines.push('ElevenLabs recorded audio, but none has arrived: its webhook is off, late or lost, or the MP3 is over about 4.4 MB, which cannot reach a Lambda through API Gateway (reconciliation fetches it).', '');
  }
  if (transcriptEvent !== undefined) {
    const turns = formatTranscript(transcriptEvent);
    lines.push(`Transcript (${turns.length} lines)`, ...(turns.length ? turns : ['  (no turns)']), '');
  } else if (item.transcript_format === 'opentelemetry') {
    lines.push('Transcript: OpenTelemetry traces, see the S3 object above.', '');
  }
  return lines.join('\n');
}
