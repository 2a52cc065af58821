/* The feedback the user gave on the call: likes, dislikes, overall score, rating and comment when given. */
import type { CallItem } from '../api';
import { mapEntries, valueText } from '../format';

const LABELS: Record<string, string> = { overall_score: 'Overall score', likes: 'Likes', dislikes: 'Dislikes', rating: 'Rating', comment: 'Comment' };

export function Feedback({ call }: { call: CallItem }) {
  // Zero likes, no score: ElevenLabs sends these for every call; they say nothing.
  const given = mapEntries(call.feedback).filter(([, value]) => value !== null && value !== undefined && value !== '' && value !== 0);
  if (given.length === 0) return null;
  return (
    <section class="card" data-testid="feedback" aria-labelledby="feedback-heading">
      <h2 id="feedback-heading">Feedback</h2>
      <dl class="pairs">
        {given.map(([name, value]) => (
          <div key={name}>
            <dt>{LABELS[name] ?? name.replace(/_/g, ' ')}</dt>
            <dd>{valueText(value)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
