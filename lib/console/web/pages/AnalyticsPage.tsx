/*
 * Analytics (`/analytics`): over a period, for all calls, one agent or one campaign, the headline
 * numbers (the same as `npm run calls -- stats`) and a chart for each question, each with its table.
 */
import { useMemo, useState } from 'preact/hooks';
import { useJson, type Analytics } from '../api';
import { AnalyticsFilters } from '../components/AnalyticsFilters';
import { ChartFigure } from '../components/ChartFigure';
import { StatTiles } from '../components/StatTiles';
import { Empty, Loading, LoadFailure } from '../components/Status';
import { barsHeight, callsPerDay, collectedCounts, costPerDay, countsBars, durationHistogram, evaluationPassRates, successRate, TOP_VALUES, type DayUnit } from '../charts';
import { formatCount, formatDuration, periodText, TIME_ZONE } from '../format';
import { queryString, type Location } from '../router';
import { useTitle } from '../title';

export function AnalyticsPage({ path, search }: Location) {
  useTitle('Analytics');
  const [reloads, setReloads] = useState(0);
  const params = new URLSearchParams(search);
  params.set('tz', TIME_ZONE);
  const loaded = useJson<Analytics>(`/analytics.json?${params}`, reloads);
  return (
    <main id="main" class="analytics-page">
      <h1 tabIndex={-1}>Analytics</h1>
      <AnalyticsFilters path={path} search={search} period={loaded.state === 'done' ? loaded.data.period : null} onReload={() => setReloads((n) => n + 1)} />
      {loaded.state === 'loading' && <Loading what="analytics" />}
      {loaded.state === 'error' && <LoadFailure message={loaded.message} status={loaded.status} path={path} onRetry={() => setReloads((n) => n + 1)} />}
      {loaded.state === 'done' && <AnalyticsBody analytics={loaded.data} path={path} search={search} />}
    </main>
  );
}

function AnalyticsBody({ analytics, path, search }: { analytics: Analytics; path: string; search: string }) {
  const { stats, period } = analytics;
  const charts = useMemo(() => buildCharts(analytics), [analytics]);
  const unit = dayUnit(analytics);
  const per = unit === 'month' ? 'month' : 'day';
  return (
    <>
      <p class="period-note" data-testid="period-note">
        {periodText(period)}; {unit === 'month' ? 'months' : 'days'} in {analytics.tz}.
      </p>
      {stats.calls === 0 ? (
        <NoCalls path={path} search={search} local={analytics.where?.local !== false} />
      ) : (
        <>
          <StatTiles stats={stats} />
          <div class="charts">
            <ChartFigure name="calls-per-day" wide caption={`Calls per ${per}, by outcome`} label={`Bar chart of calls per ${per}, stacked by outcome`} spec={charts.perDay} />
            <ChartFigure
              name="duration"
              caption={`Duration: half the calls lasted ${formatDuration(stats.duration_secs.p50) || '–'} or less (p50), nine in ten ${formatDuration(stats.duration_secs.p90) || '–'} or less (p90)`}
              label="Histogram of call durations"
              spec={charts.duration}
            />
            <ChartFigure
              name="cost-per-day"
              caption={charts.withUsd ? `Cost per ${per}: credits (bars) and USD (line)` : `Cost per ${per} in credits (no call priced in USD)`}
              label={charts.withUsd ? `Bar chart of credits per ${per} with a line of US dollars per ${per}` : `Bar chart of credits per ${per}`}
              spec={charts.cost}
            />
            <ChartFigure
              name="success-rate"
              caption={`Success rate per ${per} (of the calls ElevenLabs judged success or failure; a gap where it judged none)`}
              label={`Line chart of the success rate per ${per}`}
              spec={charts.success}
            />
            <CountsChart name="termination-reasons" caption="Why calls ended" what="Termination reason" counts={Object.entries(stats.termination_reasons)} />
            <CountsChart name="channels" caption="Calls by channel" what="Channel" counts={Object.entries(stats.channels)} />
            <CountsChart name="top-numbers" caption="Busiest numbers" what="Number" counts={stats.top_numbers.map(({ number, calls }) => [number, calls])} />
            {charts.evaluation && (
              <ChartFigure
                name="evaluation"
                caption="Pass rate per evaluation criterion"
                label="Bar chart of each evaluation criterion's pass rate"
                spec={charts.evaluation}
                height={barsHeight(Object.keys(stats.evaluation).length, 2)}
              />
            )}
            {Object.entries(stats.data_collection).map(([field, values]) => (
              <CollectedChart key={field} field={field} values={values} />
            ))}
          </div>
        </>
      )}
    </>
  );
}

/** No call started in the period (for these filters): the period is the likely cause, so all time is one click away. */
function NoCalls({ path, search, local }: { path: string; search: string; local: boolean }) {
  const params = new URLSearchParams(search);
  const filtered = Boolean(params.get('agent') || params.get('batch'));
  const allTime = `${path}${queryString({ ...Object.fromEntries(params), since: 'all', until: null })}`;
  const everything = params.get('since') === 'all' && !params.get('until');
  return (
    <Empty>
      <p>{everything ? `No calls${filtered ? ' for these filters' : ''} yet.` : `No calls${filtered ? ' for these filters' : ''} started in this period.`}</p>
      {!everything && (
        <p>
          <a href={allTime} data-testid="all-time">Show all time</a>
          {filtered ? (
            <>
              , or <a href={path}>clear the filters</a>.
            </>
          ) : (
            '.'
          )}
        </p>
      )}
      {everything && filtered && (
        <p>
          <a href={path}>Clear the filters</a>.
        </p>
      )}
      {local && !filtered && (
        <p>
          Or send a call with <code>npm run send</code>.
        </p>
      )}
    </Empty>
  );
}

/** Days, or months past 400 days (`per_day_unit`, or rows named `YYYY-MM` from a server that does not say). */
function dayUnit(analytics: Analytics): DayUnit {
  if (analytics.per_day_unit === 'month' || analytics.per_day_unit === 'day') return analytics.per_day_unit;
  return analytics.per_day.length > 0 && /^\d{4}-\d{2}$/.test(analytics.per_day[0].day) ? 'month' : 'day';
}

/** The per-day and distribution charts, built once per answer (a new spec redraws its chart). */
function buildCharts(analytics: Analytics) {
  const evaluation = analytics.stats.evaluation;
  const unit = dayUnit(analytics);
  const withUsd = analytics.stats.cost_usd.calls > 0;
  return {
    perDay: callsPerDay(analytics.per_day, unit),
    duration: durationHistogram(analytics.duration_histogram),
    cost: costPerDay(analytics.per_day, unit, withUsd),
    withUsd,
    success: successRate(analytics.per_day, unit),
    evaluation: Object.keys(evaluation).length ? evaluationPassRates(evaluation) : null,
  };
}

/** A collected field's values; free text (many values) as its most frequent ten and a bar for the rest. The table has them all. */
function CollectedChart({ field, values }: { field: string; values: Record<string, number> }) {
  const { all, shown, others } = useMemo(() => collectedCounts(values), [JSON.stringify(values)]);
  const once = all.every(([, n]) => n === 1);
  const caption = others
    ? `Collected "${field}": ${formatCount(all.length)} different values${once ? ', each in one call' : ''}; ${once ? `${TOP_VALUES} of them` : `the ${TOP_VALUES} most frequent`} shown, all in the table`
    : `Collected "${field}": its values`;
  return <CountsChart name={`data-collection-${field}`} caption={caption} what="Value" counts={shown} tableCounts={all} />;
}

/** A horizontal bar chart of counts, or a line saying there are none. */
function CountsChart({ name, caption, what, counts, tableCounts = counts }: { name: string; caption: string; what: string; counts: [string, number][]; tableCounts?: [string, number][] }) {
  const spec = useMemo(() => countsBars(counts, what, undefined, tableCounts), [JSON.stringify(counts), JSON.stringify(tableCounts), what]);
  if (counts.length === 0) {
    return (
      <figure class="chart" data-testid={`chart-${name}`}>
        <figcaption>{caption}</figcaption>
        <p class="muted">None in this period.</p>
      </figure>
    );
  }
  return <ChartFigure name={name} caption={caption} label={`Bar chart: ${caption}`} spec={spec} height={barsHeight(counts.length)} />;
}
