/* ElevenLabs' summary of the call, from the transcription's analysis (`absent`: why there is no analysis at all). */
import type { CallItem } from '../api';

export function Summary({ call, absent }: { call: CallItem; absent?: string | null }) {
  const summary = typeof call.transcript_summary === 'string' ? call.transcript_summary : '';
  return (
    <section class="card" data-testid="summary" aria-labelledby="summary-heading">
      <h2 id="summary-heading">Summary</h2>
      {summary ? <p class="prose">{summary}</p> : <p class="muted">{absent ?? 'No summary: ElevenLabs writes one when it analyses a transcription.'}</p>}
    </section>
  );
}
