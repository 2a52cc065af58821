/* The facts of one call: who, when, how long, what it cost, how it ended, its campaign and errors. */
import type { CallDetail } from '../api';
import { formatCredits, formatDuration, formatTime, formatUsd, mapEntries, valueText } from '../format';
import { queryString } from '../router';
import type { ComponentChildren } from 'preact';
import { OutcomeBadge } from './OutcomeBadge';

const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

/** A list page filtered on one value: `/?agent=...`, the value encoded; no period (the list reads all time), so it holds this call too. */
const filterHref = (name: string, value: string) => `/${queryString({ [name]: value })}`;

export function CallFacts({ detail }: { detail: CallDetail }) {
  const call = detail.call;
  const agentId = text(call.agent_id);
  const number = text(call.external_number);
  const batch = text(call.batch_call_id);
  const warnings = Array.isArray(call.warnings) ? call.warnings.map(valueText) : call.warnings === undefined ? [] : [valueText(call.warnings)];
  const cost = [formatCredits(call.cost), formatUsd(call.cost_fiat)].filter(Boolean).join(' · ');
  const neverConnected = detail.outcome === 'not_connected';
  return (
    <section class="facts-section" aria-labelledby="facts-heading">
      <h2 id="facts-heading" class="visually-hidden">
        Facts
      </h2>
      <dl class="facts" data-testid="call-facts">
        <Fact name="Outcome">
          <OutcomeBadge outcome={detail.outcome} detail={detail.error} />
        </Fact>
        <Fact name="Agent">
          {agentId && (
            <a href={filterHref('agent', agentId)} title={`Calls of agent ${agentId}`}>
              {text(call.agent_name) || agentId}
            </a>
          )}
        </Fact>
        <Fact name="Other party">{number && <a href={filterHref('number', number)}>{number}</a>}</Fact>
        <Fact name="Our number">{text(call.agent_number)}</Fact>
        <Fact name="Channel">{text(call.channel)}</Fact>
        <Fact name="Direction">{text(call.direction)}</Fact>
        <Fact name="Initiated by">{text(call.conversation_initiation_source)}</Fact>
        <Fact name="Started">{formatTime(call.start_time_unix_secs)}</Fact>
        <Fact name="Duration">{formatDuration(call.call_duration_secs)}</Fact>
        <Fact name="Cost">{cost}</Fact>
        <Fact name="Ended because">{text(call.termination_reason)}</Fact>
        <Fact name="Error">{detail.error ?? ''}</Fact>
        {warnings.map((warning, i) => (
          <Fact key={i} name="Warning">
            {warning}
          </Fact>
        ))}
        <Fact name="Campaign">{batch && <a href={filterHref('batch', batch)}>{batch}</a>}</Fact>
        <Fact name="Recipient">{text(call.batch_call_recipient_id)}</Fact>
        <Fact name="Language">{text(call.main_language)}</Fact>
        <Fact name="Turns">{turns(call)}</Fact>
        <Fact name="Tool calls">{tools(call)}</Fact>
        <Fact name="Conversation id">
          <code>{text(call.conversation_id)}</code>
        </Fact>
      </dl>
      {neverConnected && <NeverConnected detail={detail} />}
    </section>
  );
}

/**
 * A call that never connected, said once: why (`busy (sip)`), that there is nothing else to show,
 * and the provider's details (failure_metadata) folded.
 */
function NeverConnected({ detail }: { detail: CallDetail }) {
  const call = detail.call;
  const provider = text(call.failure_provider);
  const why = [text(call.failure_reason), provider && `(${provider})`].filter(Boolean).join(' ');
  const details = mapEntries(call.failure_metadata);
  return (
    <div class="notice never-connected" data-testid="never-connected">
      <p>
        The call never connected{why ? `: ${why}` : ''}.{hasNothing(detail) ? ' There is no conversation, recording or analysis.' : ''}
      </p>
      {details.length > 0 && (
        <details data-testid="failure-metadata">
          <summary>{provider ? `What ${provider} said` : "The provider's details"}</summary>
          <ul class="metadata">
            {details.map(([name, value]) => (
              <li key={name}>
                {name}: {valueText(value)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** Whether a call has no transcription and no audio at all: the call page then shows neither section. */
export function hasNothing(detail: CallDetail): boolean {
  return detail.transcript_status === 'none' && detail.audio.status === 'none' && !detail.transcription_url && !detail.audio.download_url;
}

/** A name and its value; left out when there is no value. */
function Fact({ name, children }: { name: string; children: ComponentChildren }) {
  if (children === '' || children === null || children === undefined || children === false) return null;
  return (
    <div class="fact">
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function turns(call: CallDetail['call']): string {
  if (typeof call.user_turns !== 'number' && typeof call.agent_turns !== 'number') return '';
  const interrupted = typeof call.interrupted_turns === 'number' && call.interrupted_turns > 0 ? `, ${call.interrupted_turns} interrupted` : '';
  return `${text(call.user_turns) || 0} user, ${text(call.agent_turns) || 0} agent${interrupted}`;
}

function tools(call: CallDetail['call']): string {
  if (typeof call.tool_calls !== 'number' || call.tool_calls === 0) return '';
  const errors = typeof call.tool_errors === 'number' && call.tool_errors > 0 ? `, ${call.tool_errors} failed` : '';
  return `${call.tool_calls}${errors}`;
}
