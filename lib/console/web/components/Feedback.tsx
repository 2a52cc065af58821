/*
 * The feedback the user gave on the call, in words: the overall thumbs up or down (or rating), their
 * likes and dislikes, and their comment. ElevenLabs sends the map for every call,
 * mostly empty (no score, zero likes): then nothing is shown.
 */
import type { CallItem } from '../api';
import { mapEntries, valueText } from '../format';

const SCORES: Record<string, string> = { like: 'liked (thumbs up)', dislike: 'disliked (thumbs down)' };
/** Shown through the others, or saying nothing on its own (`type`: how the feedback was asked for). */
const KNOWN = new Set(['type', 'overall_score', 'likes', 'dislikes', 'rating', 'comment']);

const given = (value: unknown) => value !== null && value !== undefined && value !== '' && value !== 0;
const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export function Feedback({ call }: { call: CallItem }) {
  const feedback = new Map(mapEntries(call.feedback));
  const score = feedback.get('overall_score');
  const rating = feedback.get('rating');
  const comment = feedback.get('comment');
  const [likes, dislikes] = [count(feedback.get('likes')), count(feedback.get('dislikes'))];
  const others = [...feedback].filter(([name, value]) => !KNOWN.has(name) && given(value));
  const lines: [string, string][] = [];
  if (given(score)) lines.push(['Overall', typeof score === 'string' ? (SCORES[score] ?? score) : valueText(score)]);
  if (given(rating)) lines.push(['Rating', valueText(rating)]);
  if (likes || dislikes) lines.push(['Likes and dislikes', `${likes} ${likes === 1 ? 'like' : 'likes'}, ${dislikes} ${dislikes === 1 ? 'dislike' : 'dislikes'}`]);
  if (given(comment)) lines.push(['Comment', valueText(comment)]);
  for (const [name, value] of others) lines.push([name.replace(/_/g, ' '), valueText(value)]);
  if (lines.length === 0) return null;
  return (
    <section class="card" data-testid="feedback" aria-labelledby="feedback-heading">
      <h2 id="feedback-heading">The user's feedback</h2>
      <dl class="pairs">
        {lines.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd class={name === 'Comment' ? 'prose' : undefined}>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
