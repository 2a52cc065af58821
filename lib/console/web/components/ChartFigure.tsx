/*
 * One chart: a canvas Chart.js draws on, a caption, and the same numbers as a table (folded) for
 * screen readers, copying and checking. The chart is destroyed when the figure goes away.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Chart } from 'chart.js';
import { applyDefaults, type ChartSpec } from '../charts';

interface ChartFigureProps {
  /** The figure's data-testid is `chart-<name>`. */
  name: string;
  caption: ComponentChildren;
  /** A short text for the canvas, for screen readers (the table has the numbers). */
  label: string;
  spec: ChartSpec;
  height?: number;
  wide?: boolean;
}

export function ChartFigure({ name, caption, label, spec, height = 260, wide = false }: ChartFigureProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return undefined;
    applyDefaults();
    const chart = new Chart(canvas.current, spec.config);
    return () => chart.destroy();
  }, [spec]);
  return (
    <figure class={`chart${wide ? ' wide' : ''}`} data-testid={`chart-${name}`}>
      <figcaption>{caption}</figcaption>
      {/* Chart.js needs a box of a fixed height to fill (maintainAspectRatio off); set through the CSSOM. */}
      <div class="chart-box" style={{ height: `${height}px` }}>
        <canvas ref={canvas} role="img" aria-label={label} />
      </div>
      <details class="chart-table">
        <summary>Show as table</summary>
        <DataTable table={spec.table} />
      </details>
    </figure>
  );
}

function DataTable({ table }: { table: ChartSpec['table'] }) {
  return (
    <div class="table-scroll">
      <table>
        <thead>
          <tr>
            {table.columns.map((column, i) => (
              <th key={i} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, i) => (i === 0 ? <th key={i} scope="row">{cell}</th> : <td key={i}>{cell}</td>))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
