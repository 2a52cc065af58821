/* The analytics headline numbers: calls, how many connected or failed, durations, cost, success rate. */
import type { ComponentChildren } from 'preact';
import type { CallStats } from '../api';
import { formatCount, formatCredits, formatDuration, formatRate, formatUsd } from '../format';

export function StatTiles({ stats }: { stats: CallStats }) {
  const usd = stats.cost_usd.calls > 0 ? formatUsd(stats.cost_usd.total) : '';
  return (
    <dl class="stats" aria-label="Headline numbers">
      <Stat name="Calls" testid="stat-calls">
        {formatCount(stats.calls)}
      </Stat>
      <Stat name="Answered" testid="stat-answered">
        {formatCount(stats.answered)}
      </Stat>
      <Stat name="Not connected" testid="stat-not-connected">
        {formatCount(stats.not_connected)}
      </Stat>
      <Stat name="Failed with an error" testid="stat-conversation-failed">
        {formatCount(stats.conversation_failed)}
      </Stat>
      <Stat name="Success rate" testid="stat-success-rate" note={`${stats.call_successful.success} of ${stats.call_successful.success + stats.call_successful.failure} judged`}>
        {formatRate(stats.call_successful.success_rate) || '–'}
      </Stat>
      <Stat name="Duration p50" testid="stat-p50">
        {formatDuration(stats.duration_secs.p50) || '–'}
      </Stat>
      <Stat name="Duration p90" testid="stat-p90">
        {formatDuration(stats.duration_secs.p90) || '–'}
      </Stat>
      <Stat name="Total cost" testid="stat-cost" note={usd ? `${usd} over ${stats.cost_usd.calls} calls priced in USD` : undefined}>
        {formatCredits(stats.total_cost)}
      </Stat>
    </dl>
  );
}

function Stat({ name, testid, note, children }: { name: string; testid: string; note?: string; children: ComponentChildren }) {
  // A long value (`13,182 cr`) is set smaller, so it stays on one line in a tile of the grid's narrowest width.
  const length = typeof children === 'string' ? children.length : 0;
  const size = length > 10 ? ' longer' : length > 7 ? ' long' : '';
  return (
    <div class="stat">
      <dt>{name}</dt>
      <dd>
        <span class={`stat-value${size}`} data-testid={testid}>
          {children}
        </span>
        {note && <small>{note}</small>}
      </dd>
    </div>
  );
}
