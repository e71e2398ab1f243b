/** Observations over time, one line per code, drawn by Chart.js on a canvas the component owns. */
import { CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';
import { codingText, type Observation } from '../fhir.js';

// Only the pieces used: Chart.js tree-shakes the rest out of the bundle.
Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip);

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

interface Series {
  label: string;
  points: { x: number; y: number }[];
}

/** Numeric observations with a time, grouped by what they measure, oldest first. */
export function seriesOf(observations: readonly Observation[]): Series[] {
  const byCode = new Map<string, Series>();
  for (const o of observations) {
    const value = o.valueQuantity?.value;
    const when = o.effectiveDateTime ? Date.parse(o.effectiveDateTime) : NaN;
    if (typeof value !== 'number' || Number.isNaN(when)) continue;
    const unit = o.valueQuantity?.unit;
    const label = `${codingText(o.code)}${unit ? ` (${unit})` : ''}`;
    const series = byCode.get(label) ?? { label, points: [] };
    series.points.push({ x: when, y: value });
    byCode.set(label, series);
  }
  for (const s of byCode.values()) s.points.sort((a, b) => a.x - b.x);
  return [...byCode.values()];
}

export function ObservationChart({ observations }: { observations: readonly Observation[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const series = seriesOf(observations);

  useEffect(() => {
    if (!canvas.current || series.length === 0) return;
    const chart = new Chart(canvas.current, {
      type: 'line',
      data: {
        datasets: series.map((s, i) => ({
          label: s.label,
          data: s.points,
          borderColor: COLOURS[i % COLOURS.length],
          backgroundColor: COLOURS[i % COLOURS.length],
          tension: 0.2,
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: { type: 'linear', ticks: { callback: (v) => new Date(Number(v)).toISOString().slice(0, 10), maxTicksLimit: 6 } },
        },
        plugins: {
          tooltip: { callbacks: { title: (items) => new Date(items[0]?.parsed.x ?? 0).toISOString().slice(0, 16).replace('T', ' ') } },
        },
      },
    });
    return () => chart.destroy();
  }, [JSON.stringify(series)]);

  if (series.length === 0) return <p class="muted">No numeric observations to chart yet.</p>;
  return (
    <div class="chart" data-testid="observation-chart">
      <canvas ref={canvas} aria-label="Observations over time" role="img" />
    </div>
  );
}
