/* The analytics filters: the period, and one agent or one campaign (or all calls). */
import type { Period } from '../api';
import { Field, FilterForm, PeriodFields } from './FilterForm';

export const ANALYTICS_FILTERS = ['since', 'until', 'agent', 'batch'] as const;

export function AnalyticsFilters({ path, search, period, onReload }: { path: string; search: string; period: Period | null; onReload: () => void }) {
  const params = new URLSearchParams(search);
  return (
    <FilterForm path={path} search={search} fields={ANALYTICS_FILTERS} onReload={onReload}>
      <PeriodFields params={params} period={period} />
      <Field name="agent" label="Agent" value={params.get('agent') ?? ''} placeholder="agent id (all agents)" />
      <Field name="batch" label="Campaign" value={params.get('batch') ?? ''} placeholder="batch call id (all calls)" />
    </FilterForm>
  );
}
