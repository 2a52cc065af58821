/* The calls list's filters: period, agent, number, outcome, campaign and a text search. */
import type { CallsPage, Period } from '../api';
import { OUTCOME_LABELS } from '../format';
import { Field, FilterForm, PeriodFields } from './FilterForm';

export const CALL_FILTERS = ['since', 'until', 'agent', 'number', 'outcome', 'batch', 'q'] as const;

interface CallFiltersProps {
  path: string;
  search: string;
  agents: CallsPage['agents'];
  /** The period the server read, once it has answered. */
  period: Period | null;
  onReload: () => void;
}

export function CallFilters({ path, search, agents, period, onReload }: CallFiltersProps) {
  const params = new URLSearchParams(search);
  const value = (name: string) => params.get(name) ?? '';
  return (
    <FilterForm path={path} search={search} fields={CALL_FILTERS} onReload={onReload}>
      <PeriodFields params={params} period={period} />
      <Field name="agent" label="Agent" value={value('agent')} placeholder="agent id" list="agent-ids" />
      <datalist id="agent-ids">
        {agents.map((agent) => (
          <option key={agent.agent_id} value={agent.agent_id}>
            {agent.agent_name ?? agent.agent_id}
          </option>
        ))}
      </datalist>
      <Field name="number" label="Number" value={value('number')} placeholder="+15550100123" type="search" />
      <div class="field">
        <label for="filter-outcome">Outcome</label>
        <select id="filter-outcome" name="outcome" defaultValue={value('outcome')}>
          <option value="">any</option>
          {Object.entries(OUTCOME_LABELS).map(([outcome, label]) => (
            <option key={outcome} value={outcome}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <Field name="batch" label="Campaign" value={value('batch')} placeholder="batch call id" />
      <Field name="q" label="Search" value={value('q')} placeholder="titles and summaries" type="search" />
    </FilterForm>
  );
}
