/*
 * The analytics charts as Chart.js configurations, each with the same numbers as a table. Only the
 * pieces used are registered (bars, lines, two linear axes, tooltips, legends), so the bundle carries
 * nothing else. No animation, no web font: the system's, colours from console.css.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
} from 'chart.js';
import type { Analytics, CriterionResults, DayFigures } from './api';
import { formatCount, formatCredits, formatDay, formatDuration, formatRate, formatUsd, OUTCOME_LABELS } from './format';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

/** The numbers behind a chart, for the table beside it. */
export interface Table {
  columns: string[];
  rows: string[][];
}

export interface ChartSpec {
  config: ChartConfiguration<'bar' | 'line'>;
  table: Table;
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

/** A colour console.css defines (`--chart-success`...), so charts follow the light or dark theme. */
function cssColor(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim() || fallback;
}

/** Chart.js' defaults for every chart: no animation, the system font, the theme's text and grid colours. */
export function applyDefaults(): void {
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = FONT;
  Chart.defaults.font.size = 13;
  Chart.defaults.color = cssColor('text', '#1f2328');
  Chart.defaults.borderColor = cssColor('grid', '#d0d7de');
}

const outcomeColours = () => ({
  success: cssColor('chart-success', '#1a7f37'),
  failure: cssColor('chart-failure', '#cf222e'),
  unknown: cssColor('chart-unknown', '#8c959f'),
  not_connected: cssColor('chart-not-connected', '#bf8700'),
  conversation_failed: cssColor('chart-conversation-failed', '#8250df'),
  other: cssColor('chart-other', '#54aeff'),
});
const accent = () => cssColor('chart-accent', '#0969da');
const accent2 = () => cssColor('chart-accent-2', '#bc4c00');

const OUTCOMES = ['success', 'failure', 'unknown', 'not_connected', 'conversation_failed', 'other'] as const;
const OUTCOME_NAMES: Record<(typeof OUTCOMES)[number], string> = { ...OUTCOME_LABELS, conversation_failed: 'failed (error)', other: 'no transcript yet' };

/** A label cut to fit an axis; the table and the tooltip keep it whole. */
function shortLabel(label: string, max = 32): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

const countAxis = { beginAtZero: true, ticks: { precision: 0 } };
const percentAxis = { min: 0, max: 100, ticks: { callback: (value: string | number) => `${value}%` } };

export function callsPerDay(days: DayFigures[]): ChartSpec {
  const colours = outcomeColours();
  const shown = OUTCOMES.filter((outcome) => days.some((day) => day[outcome] > 0));
  return {
    config: {
      type: 'bar',
      data: {
        labels: days.map((day) => formatDay(day.day)),
        datasets: shown.map((outcome) => ({ label: OUTCOME_NAMES[outcome], data: days.map((day) => day[outcome]), backgroundColor: colours[outcome], stack: 'calls' })),
      },
      options: { scales: { x: { stacked: true }, y: { ...countAxis, stacked: true, title: { display: true, text: 'calls' } } } },
    },
    table: {
      columns: ['Day', 'Calls', ...shown.map((outcome) => OUTCOME_NAMES[outcome])],
      rows: days.map((day) => [day.day, formatCount(day.calls), ...shown.map((outcome) => formatCount(day[outcome]))]),
    },
  };
}

export function durationHistogram(histogram: Analytics['duration_histogram']): ChartSpec {
  const labels = histogram.map((bin) => `${formatDuration(bin.from_secs)}–${formatDuration(bin.to_secs)}`);
  return {
    config: {
      type: 'bar',
      data: { labels, datasets: [{ label: 'calls', data: histogram.map((bin) => bin.calls), backgroundColor: accent(), barPercentage: 1, categoryPercentage: 0.95 }] },
      options: { plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: 'duration (m:ss)' } }, y: { ...countAxis, title: { display: true, text: 'calls' } } } },
    },
    table: { columns: ['Duration', 'Calls'], rows: histogram.map((bin, i) => [labels[i], formatCount(bin.calls)]) },
  };
}

export function costPerDay(days: DayFigures[]): ChartSpec {
  const credits: ChartDataset<'bar'> = { type: 'bar', label: 'credits', data: days.map((day) => day.cost), backgroundColor: accent(), yAxisID: 'y' };
  const usd: ChartDataset<'line'> = { type: 'line', label: 'USD', data: days.map((day) => day.cost_usd), borderColor: accent2(), backgroundColor: accent2(), yAxisID: 'usd', pointRadius: 2 };
  return {
    config: {
      type: 'bar',
      data: { labels: days.map((day) => formatDay(day.day)), datasets: [credits, usd] as ChartDataset<'bar' | 'line'>[] },
      options: {
        scales: {
          y: { beginAtZero: true, position: 'left', title: { display: true, text: 'credits' } },
          usd: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'USD' }, ticks: { callback: (value: string | number) => formatUsd(Number(value)) } },
        },
      },
    },
    table: { columns: ['Day', 'Credits', 'USD'], rows: days.map((day) => [day.day, formatCredits(day.cost), formatUsd(day.cost_usd)]) },
  };
}

export function successRate(days: DayFigures[]): ChartSpec {
  return {
    config: {
      type: 'line',
      data: {
        labels: days.map((day) => formatDay(day.day)),
        datasets: [
          {
            label: 'success rate',
            data: days.map((day) => (day.success_rate === null ? null : Math.round(day.success_rate * 1000) / 10)),
            borderColor: cssColor('chart-success', '#1a7f37'),
            backgroundColor: cssColor('chart-success', '#1a7f37'),
            pointRadius: 3,
            spanGaps: true,
          },
        ],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: percentAxis } },
    },
    table: { columns: ['Day', 'Success rate', 'Success', 'Failure'], rows: days.map((day) => [day.day, formatRate(day.success_rate) || '–', formatCount(day.success), formatCount(day.failure)]) },
  };
}

/** Counts of named things (termination reasons, channels, numbers, collected values) as horizontal bars, largest first. */
export function countsBars(counts: [string, number][], what: string, colour = accent()): ChartSpec {
  return {
    config: {
      type: 'bar',
      data: { labels: counts.map(([name]) => name), datasets: [{ label: 'calls', data: counts.map(([, n]) => n), backgroundColor: colour }] },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false } },
        scales: {
          x: { ...countAxis, title: { display: true, text: 'calls' } },
          y: { ticks: { autoSkip: false, callback: (_value: string | number, index: number) => shortLabel(counts[index]?.[0] ?? '') } },
        },
      },
    },
    table: { columns: [what, 'Calls'], rows: counts.map(([name, n]) => [name, formatCount(n)]) },
  };
}

export function evaluationPassRates(evaluation: Record<string, CriterionResults>): ChartSpec {
  const criteria = Object.entries(evaluation);
  return {
    config: {
      type: 'bar',
      data: {
        labels: criteria.map(([criterion]) => criterion),
        datasets: [{ label: 'pass rate', data: criteria.map(([, r]) => (r.pass_rate === null ? null : Math.round(r.pass_rate * 1000) / 10)), backgroundColor: cssColor('chart-success', '#1a7f37') }],
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false } },
        scales: { x: { ...percentAxis, title: { display: true, text: 'pass rate' } }, y: { ticks: { autoSkip: false, callback: (_value: string | number, index: number) => shortLabel(criteria[index]?.[0] ?? '') } } },
      },
    },
    table: {
      columns: ['Criterion', 'Pass rate', 'Pass', 'Fail', 'Other'],
      rows: criteria.map(([criterion, r]) => [criterion, formatRate(r.pass_rate) || '–', formatCount(r.pass), formatCount(r.fail), formatCount(r.other)]),
    },
  };
}

/** A height for a horizontal bar chart of `bars` bars, so each keeps room for its label. */
export function barsHeight(bars: number): number {
  return Math.max(140, 60 + bars * 30);
}
