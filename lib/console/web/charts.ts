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
  type Scale,
} from 'chart.js';
import type { Analytics, CriterionResults, DayFigures } from './api';
import { dayLabels, formatCount, formatCredits, formatDuration, formatRate, formatUsd, OUTCOME_LABELS } from './format';

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

const FONT_SIZE = 13;
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
  Chart.defaults.font.size = FONT_SIZE;
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

let measuring: CanvasRenderingContext2D | null | undefined;

/** The width of `text` in the charts' font, in CSS pixels; a guess from its length where no canvas can measure. */
function textWidth(text: string): number {
  if (measuring === undefined) {
    measuring = document.createElement('canvas').getContext('2d');
    if (measuring) measuring.font = `${FONT_SIZE}px ${FONT}`;
  }
  return measuring ? measuring.measureText(text).width : text.length * FONT_SIZE * 0.6;
}

/** A label cut with an ellipsis to at most `maxWidth` pixels; the table and the tooltip keep it whole. */
export function fitLabel(label: string, maxWidth: number): string {
  if (textWidth(label) <= maxWidth) return label;
  const chars = [...label];
  let [low, high] = [0, chars.length];
  // The longest start that fits with its ellipsis.
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (textWidth(`${chars.slice(0, middle).join('')}…`) <= maxWidth) low = middle;
    else high = middle - 1;
  }
  return `${chars.slice(0, low).join('').trimEnd()}…`;
}

/**
 * The room a horizontal bar chart's labels get: Chart.js gives its y axis at most half the chart,
 * and cuts longer labels on the left, so they are shortened to fit well within it.
 */
function labelRoom(scale: Scale): number {
  return Math.max(48, Math.min(280, scale.chart.width * 0.5 - 16));
}

/** A y axis of named categories whose labels are shortened to the room they have. */
function namesAxis(names: readonly string[], lines: (index: number) => string[] = () => []) {
  return {
    ticks: {
      autoSkip: false,
      callback(this: Scale, _value: string | number, index: number): string | string[] {
        const name = fitLabel(names[index] ?? '', labelRoom(this));
        const more = lines(index).map((line) => fitLabel(line, labelRoom(this)));
        return more.length ? [name, ...more] : name;
      },
    },
  };
}

const countAxis = { beginAtZero: true, ticks: { precision: 0 } };
const percentAxis = { min: 0, max: 100, ticks: { callback: (value: string | number) => `${value}%` } };

/** Per day, or per month past 400 days (the server's `per_day_unit`). */
export type DayUnit = 'day' | 'month';

const unitName = (unit: DayUnit) => (unit === 'month' ? 'Month' : 'Day');

export function callsPerDay(days: DayFigures[], unit: DayUnit = 'day'): ChartSpec {
  const colours = outcomeColours();
  const shown = OUTCOMES.filter((outcome) => days.some((day) => day[outcome] > 0));
  return {
    config: {
      type: 'bar',
      data: {
        labels: dayLabels(days.map((day) => day.day)),
        datasets: shown.map((outcome) => ({ label: OUTCOME_NAMES[outcome], data: days.map((day) => day[outcome]), backgroundColor: colours[outcome], stack: 'calls' })),
      },
      options: { scales: { x: { stacked: true }, y: { ...countAxis, stacked: true, title: { display: true, text: 'calls' } } } },
    },
    table: {
      columns: [unitName(unit), 'Calls', ...shown.map((outcome) => OUTCOME_NAMES[outcome])],
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

/**
 * Whether a day had a call priced in USD: as the server counts them (`cost_usd_calls`) when it does;
 * else a day's USD of 0 is taken for none (a call priced in USD costs something).
 */
function pricedInUsd(day: DayFigures): boolean {
  if (typeof day.cost_usd_calls === 'number') return day.cost_usd_calls > 0;
  return day.calls > 0 && typeof day.cost_usd === 'number' && day.cost_usd !== 0;
}

/**
 * Credits per day as bars and US dollars as a line. A day with no call priced in USD has no USD point
 * (a gap, not a zero); with none in the whole period (`withUsd` false) there is no USD line.
 */
export function costPerDay(days: DayFigures[], unit: DayUnit = 'day', withUsd = true): ChartSpec {
  const credits: ChartDataset<'bar'> = { type: 'bar', label: 'credits', data: days.map((day) => day.cost), backgroundColor: accent(), yAxisID: 'y' };
  const usd: ChartDataset<'line'> = {
    type: 'line',
    label: 'USD',
    data: days.map((day) => (pricedInUsd(day) ? day.cost_usd : null)),
    borderColor: accent2(),
    backgroundColor: accent2(),
    yAxisID: 'usd',
    pointRadius: 2,
    spanGaps: false,
  };
  return {
    config: {
      type: 'bar',
      data: { labels: dayLabels(days.map((day) => day.day)), datasets: (withUsd ? [credits, usd] : [credits]) as ChartDataset<'bar' | 'line'>[] },
      options: {
        plugins: { legend: { display: withUsd } },
        scales: {
          y: { beginAtZero: true, position: 'left', title: { display: true, text: 'credits' } },
          ...(withUsd
            ? { usd: { beginAtZero: true, position: 'right' as const, grid: { drawOnChartArea: false }, title: { display: true, text: 'USD' }, ticks: { callback: (value: string | number) => formatUsd(Number(value)) } } }
            : {}),
        },
      },
    },
    table: {
      columns: [unitName(unit), 'Credits', ...(withUsd ? ['USD'] : [])],
      rows: days.map((day) => [day.day, formatCredits(day.cost), ...(withUsd ? [pricedInUsd(day) ? formatUsd(day.cost_usd) : ''] : [])]),
    },
  };
}

/** The success rate per day: a day with no call judged success or failure is a gap in the line, not a point. */
export function successRate(days: DayFigures[], unit: DayUnit = 'day'): ChartSpec {
  return {
    config: {
      type: 'line',
      data: {
        labels: dayLabels(days.map((day) => day.day)),
        datasets: [
          {
            label: 'success rate',
            data: days.map((day) => (typeof day.success_rate === 'number' ? Math.round(day.success_rate * 1000) / 10 : null)),
            borderColor: cssColor('chart-success', '#1a7f37'),
            backgroundColor: cssColor('chart-success', '#1a7f37'),
            pointRadius: 3,
            spanGaps: false,
          },
        ],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: percentAxis } },
    },
    table: { columns: [unitName(unit), 'Success rate', 'Success', 'Failure'], rows: days.map((day) => [day.day, formatRate(day.success_rate) || '–', formatCount(day.success), formatCount(day.failure)]) },
  };
}

/** Counts of named things (termination reasons, channels, numbers, collected values) as horizontal bars, largest first. */
export function countsBars(counts: [string, number][], what: string, colour = accent(), tableCounts: [string, number][] = counts): ChartSpec {
  const names = counts.map(([name]) => name);
  return {
    config: {
      type: 'bar',
      data: { labels: names, datasets: [{ label: 'calls', data: counts.map(([, n]) => n), backgroundColor: colour }] },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false } },
        scales: { x: { ...countAxis, title: { display: true, text: 'calls' } }, y: namesAxis(names) },
      },
    },
    table: { columns: [what, 'Calls'], rows: tableCounts.map(([name, n]) => [name, formatCount(n)]) },
  };
}

/** The bars a data collection chart draws at most; past them, one bar for the other values. */
export const TOP_VALUES = 10;

/** A collected field's values as the chart shows them (`null` reads "(not collected)"), most frequent first. */
export function collectedCounts(values: Record<string, number>): { all: [string, number][]; shown: [string, number][]; others: number } {
  const all = Object.entries(values)
    .map(([value, n]): [string, number] => [value === 'null' ? '(not collected)' : value, n])
    .sort(([, a], [, b]) => b - a);
  // Free text (a name, an order number) gives a bar per call: past a dozen values, the most frequent ten and one bar for the rest.
  if (all.length <= TOP_VALUES + 2) return { all, shown: all, others: 0 };
  const rest = all.slice(TOP_VALUES);
  const restCalls = rest.reduce((sum, [, n]) => sum + n, 0);
  return { all, shown: [...all.slice(0, TOP_VALUES), [`${formatCount(rest.length)} other values`, restCalls]], others: rest.length };
}

/** A criterion's result in words: `0% (0/1)`, `no pass/fail (1 other)`. */
export function criterionText(r: CriterionResults): string {
  const judged = r.pass + r.fail;
  if (judged === 0) return `no pass/fail${r.other ? ` (${formatCount(r.other)} other)` : ''}`;
  const rate = formatRate(typeof r.pass_rate === 'number' ? r.pass_rate : r.pass / judged);
  return `${rate} (${formatCount(r.pass)}/${formatCount(judged)})${r.other ? `, ${formatCount(r.other)} other` : ''}`;
}

/** Each criterion's pass rate as a bar, its result in words under its name (so 0% and "none judged" differ). */
export function evaluationPassRates(evaluation: Record<string, CriterionResults>): ChartSpec {
  const criteria = Object.entries(evaluation);
  const names = criteria.map(([criterion]) => criterion);
  const texts = criteria.map(([, r]) => criterionText(r));
  return {
    config: {
      type: 'bar',
      data: {
        labels: names,
        datasets: [
          {
            label: 'pass rate',
            data: criteria.map(([, r]) => (r.pass + r.fail > 0 && typeof r.pass_rate === 'number' ? Math.round(r.pass_rate * 1000) / 10 : null)),
            backgroundColor: cssColor('chart-success', '#1a7f37'),
          },
        ],
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => `pass rate ${texts[item.dataIndex] ?? ''}` } } },
        scales: { x: { ...percentAxis, title: { display: true, text: 'pass rate' } }, y: namesAxis(names, (index) => [texts[index] ?? '']) },
      },
    },
    table: {
      columns: ['Criterion', 'Pass rate', 'Pass', 'Fail', 'Other'],
      rows: criteria.map(([criterion, r]) => [criterion, r.pass + r.fail > 0 ? formatRate(r.pass_rate) || '–' : 'no pass/fail', formatCount(r.pass), formatCount(r.fail), formatCount(r.other)]),
    },
  };
}

/** A height for a horizontal bar chart of `bars` bars of `lines` lines of label each, so each keeps room for its label. */
export function barsHeight(bars: number, lines = 1): number {
  return Math.max(140, 60 + bars * (lines > 1 ? 18 + 16 * lines : 30));
}
