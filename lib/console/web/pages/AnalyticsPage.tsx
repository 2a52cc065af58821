/*
 * Analytics (`/analytics`): over a period, for all calls, one agent or one campaign, the headline
 * numbers (the same as `npm run calls -- stats`) and a chart for each question, each with its table.
 */
import { useMemo, useState } from 'preact/hooks';
import { useJson, type Analytics } from '../api';
import { AnalyticsFilters } from '../components/AnalyticsFilters';
import { ChartFigure } from '../components/ChartFigure';
import { StatTiles } from '../components/StatTiles';
import { Empty, ErrorMessage, Loading } from '../components/Status';
import { barsHeight, callsPerDay, costPerDay, countsBars, durationHistogram, evaluationPassRates, successRate } from '../charts';
import { formatDuration, periodText, TIME_ZONE } from '../format';
import type { Location } from '../router';
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
      {loaded.state === 'error' && <ErrorMessage message={loaded.message} />}
      {loaded.state === 'done' && <AnalyticsBody analytics={loaded.data} />}
    </main>
  );
}

function AnalyticsBody({ analytics }: { analytics: Analytics }) {
  const { stats, period } = analytics;
  const charts = useMemo(() => buildCharts(analytics), [analytics]);
  return (
    <>
      <p class="period-note" data-testid="period-note">
        {periodText(period)}; days in {analytics.tz}.
      </p>
      {stats.calls === 0 ? (
        <Empty>
          <p>No calls in this period.</p>
          <p>
            Choose a longer period, or send a call with <code>npm run send</code>.
          </p>
        </Empty>
      ) : (
        <>
          <StatTiles stats={stats} />
          <div class="charts">
            <ChartFigure name="calls-per-day" wide caption="Calls per day, by outcome" label="Bar chart of calls per day, stacked by outcome" spec={charts.perDay} />
            <ChartFigure
              name="duration"
              caption={`Duration: half the calls lasted ${formatDuration(stats.duration_secs.p50) || '–'} or less (p50), nine in ten ${formatDuration(stats.duration_secs.p90) || '–'} or less (p90)`}
              label="Histogram of call durations"
              spec={charts.duration}
            />
            <ChartFigure name="cost-per-day" caption="Cost per day: credits (bars) and USD (line)" label="Bar chart of credits per day with a line of US dollars per day" spec={charts.cost} />
            <ChartFigure name="success-rate" caption="Success rate per day (of the calls ElevenLabs judged success or failure)" label="Line chart of the success rate per day" spec={charts.success} />
            <CountsChart name="termination-reasons" caption="Why calls ended" what="Termination reason" counts={Object.entries(stats.termination_reasons)} />
            <CountsChart name="channels" caption="Calls by channel" what="Channel" counts={Object.entries(stats.channels)} />
            <CountsChart name="top-numbers" caption="Busiest numbers" what="Number" counts={stats.top_numbers.map(({ number, calls }) => [number, calls])} />
            {charts.evaluation && (
              <ChartFigure
                name="evaluation"
                caption="Pass rate per evaluation criterion"
                label="Bar chart of each evaluation criterion's pass rate"
                spec={charts.evaluation}
                height={barsHeight(Object.keys(stats.evaluation).length)}
              />
            )}
            {Object.entries(stats.data_collection).map(([field, values]) => (
              <CountsChart key={field} name={`data-collection-${field}`} caption={`Collected "${field}": its values`} what="Value" counts={Object.entries(values)} />
            ))}
          </div>
        </>
      )}
    </>
  );
}

/** The per-day and distribution charts, built once per answer (a new spec redraws its chart). */
function buildCharts(analytics: Analytics) {
  const evaluation = analytics.stats.evaluation;
  return {
    perDay: callsPerDay(analytics.per_day),
    duration: durationHistogram(analytics.duration_histogram),
    cost: costPerDay(analytics.per_day),
    success: successRate(analytics.per_day),
    evaluation: Object.keys(evaluation).length ? evaluationPassRates(evaluation) : null,
  };
}

/** A horizontal bar chart of counts, or a line saying there are none. */
function CountsChart({ name, caption, what, counts }: { name: string; caption: string; what: string; counts: [string, number][] }) {
  const spec = useMemo(() => countsBars(counts, what), [JSON.stringify(counts), what]);
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
