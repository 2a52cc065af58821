/*
 * One turn of the conversation: who spoke, when, what was said, the tools the agent called and what
 * they returned (errors marked), an interruption, the user's like or dislike. With audio, the turn is
 * focusable and a click, Enter or Space plays the call from its time.
 */
import type { Turn } from '../api';
import { formatDuration } from '../format';

interface TurnProps {
  turn: Turn;
  current: boolean;
  /** Plays from the turn's time; absent when there is no audio to play. */
  onPlay?: (time: number) => void;
}

const ROLE_LABELS: Record<string, string> = { user: 'User', agent: 'Agent' };

export function TurnItem({ turn, current, onPlay }: TurnProps) {
  const time = turn.time_in_call_secs;
  const playable = onPlay !== undefined && typeof time === 'number';
  const play = () => playable && onPlay(time);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.target !== event.currentTarget || (event.key !== 'Enter' && event.key !== ' ')) return;
    event.preventDefault();
    play();
  };
  const onClick = () => {
    if (!getSelection()?.toString()) play();
  };
  const role = turn.role === 'user' || turn.role === 'agent' ? turn.role : 'other';
  const when = typeof time === 'number' ? formatDuration(time) : '';
  return (
    <li
      class={`turn turn-${role}${current ? ' current' : ''}${playable ? ' playable' : ''}`}
      data-testid="turn"
      data-role={turn.role}
      data-time={typeof time === 'number' ? time : undefined}
      aria-current={current ? 'true' : undefined}
      tabIndex={playable ? 0 : undefined}
      title={playable ? `Play from ${when}` : undefined}
      onClick={playable ? onClick : undefined}
      onKeyDown={playable ? onKeyDown : undefined}
    >
      <div class="turn-head">
        <span class="turn-role">{ROLE_LABELS[turn.role] ?? turn.role}</span>
        {when && <span class="turn-time">{when}</span>}
        {turn.interrupted && <span class="badge interrupted">interrupted</span>}
        {turn.feedback && <span class={`badge feedback-${turn.feedback === 'like' ? 'like' : 'dislike'}`}>{turn.feedback === 'like' ? 'liked' : turn.feedback === 'dislike' ? 'disliked' : turn.feedback}</span>}
      </div>
      {turn.message && <p class="turn-message">{turn.message}</p>}
      {turn.tool_calls.map((call, i) => (
        <div key={`call-${i}`} class="tool tool-call">
          <span class="tool-label">Tool call</span> <code>{call.name}</code>
          {call.params && <pre>{readableJson(call.params)}</pre>}
        </div>
      ))}
      {turn.tool_results.map((result, i) => (
        <div key={`result-${i}`} class={`tool tool-result${result.is_error ? ' tool-error' : ''}`}>
          <span class="tool-label">{result.is_error ? 'Tool error' : 'Tool result'}</span> <code>{result.name}</code>
          {result.result && <pre>{readableJson(result.result)}</pre>}
        </div>
      ))}
    </li>
  );
}

/** JSON text indented for reading; any other text as it is. */
function readableJson(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? JSON.stringify(value, null, 2) : text;
  } catch {
    return text;
  }
}
