/* One call in the list: a table row that links to the call's page (the whole row is clickable too). */
import type { CallRow as Call } from '../api';
import { channelText, formatCredits, formatDuration, formatTime, formatUsd } from '../format';
import { callHref, navigate } from '../router';
import { OutcomeBadge } from './OutcomeBadge';

export function CallRow({ call }: { call: Call }) {
  const href = callHref(call.conversation_id);
  const open = (event: MouseEvent) => {
    // A link inside the row, or text being selected, is not a click on the row.
    if ((event.target as Element).closest('a') || getSelection()?.toString()) return;
    if (event.metaKey || event.ctrlKey) openInNewTab(href);
    else navigate(href);
  };
  const usd = formatUsd(call.cost_usd);
  const credits = formatCredits(call.cost);
  const agent = call.agent_name ?? call.agent_id;
  // The name is cut to the column's width: the whole name and the id on hover.
  const agentTitle = call.agent_name && call.agent_id ? `${call.agent_name} (${call.agent_id})` : (agent ?? undefined);
  return (
    <tr data-testid="call-row" data-conversation-id={call.conversation_id} onClick={open}>
      <td data-label="Time">
        <a href={href}>{formatTime(call.start_time_unix_secs) || 'time unknown'}</a>
      </td>
      <td data-label="Agent" class="agent" title={agentTitle}>
        {agent && <span class="agent-name">{agent}</span>}
      </td>
      <td data-label="Channel">{channelText(call.channel, call.direction)}</td>
      <td data-label="Number" class="number">
        {call.external_number}
      </td>
      <td data-label="Duration" class="numeric">
        {formatDuration(call.call_duration_secs)}
      </td>
      <td data-label="Cost" class="numeric">
        {/* Nothing at all when no cost is known, so the phone layout hides the empty cell. */}
        {(credits || usd) && (
          <span>
            {credits}
            {usd && <small class="usd">{usd}</small>}
          </span>
        )}
      </td>
      <td data-label="Outcome">
        <OutcomeBadge outcome={call.outcome} detail={call.error ?? (call.outcome === 'not_connected' ? notConnectedText(call) : null)} />
      </td>
      <td data-label="Title" class="title">
        {call.title}
      </td>
    </tr>
  );
}

/** Why the call never connected, as `npm run calls` says it: `busy (sip)`; the provider only when the row has it. */
export function notConnectedText(call: Pick<Call, 'failure_reason' | 'failure_provider'>): string | null {
  const provider = typeof call.failure_provider === 'string' && call.failure_provider ? `(${call.failure_provider})` : '';
  return [call.failure_reason, provider].filter(Boolean).join(' ') || null;
}

function openInNewTab(href: string) {
  window.open(href, '_blank', 'noopener');
}
