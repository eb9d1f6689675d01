// Metrics per step, drawn with uPlot: small, fast on long series, canvas-based, and its legend
// writes labels as text. A second run's series are overlaid dashed for comparison.
import uPlot from 'uplot';
import type { MetricSeries, StepMetrics } from '../src/viewer/protocol';
import { h, icon } from './dom';

interface ChartDef {
  title: string;
  kind: 'train' | 'eval';
  /** Metric keys drawn as lines. */
  keys: (present: Set<string>) => string[];
  /** Drawn as a band around keys[0]: mean ± std. */
  std?: string;
  unit?: '%';
}

const PRIMARY: ChartDef[] = [
  { title: 'Reward (mean ± std)', kind: 'train', keys: () => ['reward_mean'], std: 'reward_std' },
  { title: 'Success rate', kind: 'train', keys: () => ['success_rate'], unit: '%' },
  { title: 'Eval pass@k', kind: 'eval', keys: (p) => [...p].filter((k) => /^(greedy_)?pass@\d+$/.test(k)).sort(), unit: '%' },
  { title: 'Response length (tokens)', kind: 'train', keys: () => ['response_len_mean', 'response_len_max'] },
  { title: 'Tool-call rate', kind: 'train', keys: () => ['tool_call_rate'] },
  { title: 'Format-error rate', kind: 'train', keys: () => ['format_error_rate'], unit: '%' },
  { title: 'KL to the base model', kind: 'train', keys: () => ['kl'] },
  { title: 'Entropy', kind: 'train', keys: () => ['entropy'] },
];

const PALETTE = ['--vscode-charts-blue', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-yellow', '--vscode-charts-red'];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function keysOf(rows: StepMetrics[]): Set<string> {
  const s = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.metrics)) s.add(k);
  return s;
}

/** Aligns several step series on one x axis; missing values are null (gaps). */
export function align(series: { rows: StepMetrics[]; key: string; transform?: (v: number) => number }[]): [number[], ...(number | null)[][]] {
  const steps = new Set<number>();
  for (const s of series) for (const r of s.rows) if (typeof r.metrics[s.key] === 'number') steps.add(r.step);
  const x = [...steps].sort((a, b) => a - b);
  const pos = new Map(x.map((v, i) => [v, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(x.length).fill(null);
    for (const r of s.rows) {
      const v = r.metrics[s.key];
      if (typeof v === 'number' && pos.has(r.step)) y[pos.get(r.step)!] = s.transform ? s.transform(v) : v;
    }
    return y;
  });
  return [x, ...ys];
}

/**
 * A y range that shows the data. uPlot spans 0–100 for a flat series (all-zero KL, a single
 * evaluation); a flat series gets `span` around its value instead, kept off negative values
 * it does not have, and within 100 for percentages.
 */
export function axisRange(min: number | null, max: number | null, span: number, pct: boolean): [number, number] {
  if (min === null || max === null) return [0, span];
  if (min !== max) return uPlot.rangeNum(min, max, 0.1, true) as [number, number];
  let lo = min - span / 2;
  if (lo < 0 && min >= 0) lo = 0;
  if (pct && lo + span > 100) lo = 100 - span;
  return [lo, lo + span];
}

export class MetricsView {
  readonly el: HTMLElement;
  private grid: HTMLElement;
  private charts: uPlot[] = [];
  private series: MetricSeries | null = null;
  private compare: MetricSeries | null = null;
  private compareLabel: HTMLElement;
  private dirty = false;
  private visible = false;

  constructor(actions: { onCompare(): void; onClearCompare(): void }) {
    this.compareLabel = h('span', { class: 'muted' });
    const compareBtn = h('button', { class: 'btn', title: 'Overlay the metrics of another run' }, icon('diff'), h('span', null, 'Compare with run…'));
    compareBtn.type = 'button';
    compareBtn.addEventListener('click', actions.onCompare);
    const clearBtn = h('button', { class: 'btn', title: 'Remove the overlay' }, icon('close'), h('span', null, 'Clear'));
    clearBtn.type = 'button';
    clearBtn.addEventListener('click', actions.onClearCompare);
    this.grid = h('div', { class: 'charts' });
    this.el = h('div', { class: 'metrics' }, h('div', { class: 'toolbar' }, compareBtn, clearBtn, this.compareLabel), this.grid);
    new ResizeObserver(() => this.resize()).observe(this.grid);
    new MutationObserver(() => this.redraw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  setSeries(s: MetricSeries): void {
    this.series = s;
    this.labelCompare();
    this.redraw();
  }

  /** Called again each time the compared run writes metrics. */
  setCompare(s: MetricSeries | null): void {
    this.compare = s;
    this.labelCompare();
    this.redraw();
  }

  /** Names both runs (runs of one config share a name) and how far the compared one got. */
  private labelCompare(): void {
    const c = this.compare;
    const last = c ? Math.max(0, ...c.train.map((r) => r.step), ...c.eval.map((r) => r.step)) : 0;
    this.compareLabel.textContent = c ? `solid: ${this.series?.name ?? 'this run'} · dashed: ${c.name}, to step ${last}` : '';
  }

  show(visible: boolean): void {
    this.visible = visible;
    if (visible && this.dirty) this.redraw();
  }

  private redraw(): void {
    if (!this.visible) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    for (const c of this.charts) c.destroy();
    this.charts = [];
    this.grid.replaceChildren();
    const s = this.series;
    if (!s || (!s.train.length && !s.eval.length)) {
      this.grid.append(h('div', { class: 'empty-state' }, 'No metrics yet: they appear once a step has finished.'));
      return;
    }
    const used = new Set<string>();
    const defs: ChartDef[] = [...PRIMARY];
    const trainKeys = keysOf(s.train);
    for (const d of PRIMARY) for (const k of d.keys(d.kind === 'eval' ? keysOf(s.eval) : trainKeys)) used.add(`${d.kind}:${k}`);
    if (s.train.length) for (const k of [...trainKeys].sort()) if (!used.has(`train:${k}`) && k !== 'reward_std') defs.push({ title: k, kind: 'train', keys: () => [k] });
    for (const k of [...keysOf(s.eval)].sort()) if (!used.has(`eval:${k}`)) defs.push({ title: `eval ${k}`, kind: 'eval', keys: () => [k] });
    for (const d of defs) this.chart(d, s, this.compare);
  }

  private chart(d: ChartDef, s: MetricSeries, cmp: MetricSeries | null): void {
    const rows = s[d.kind];
    const keys = d.keys(keysOf(rows)).filter((k) => rows.some((r) => typeof r.metrics[k] === 'number'));
    const box = h('div', { class: 'chart', 'data-title': d.title }, h('div', { class: 'chart-title' }, d.title));
    this.grid.append(box);
    if (!keys.length) {
      box.append(h('div', { class: 'muted chart-empty' }, `not in this run's metrics`));
      return;
    }
    const pct = d.unit === '%' ? (v: number) => v * 100 : undefined;
    const inputs: { rows: StepMetrics[]; key: string; transform?: (v: number) => number }[] = keys.map((key) => ({ rows, key, transform: pct }));
    const fg = cssVar('--vscode-foreground', '#888');
    const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
    const series: uPlot.Series[] = [{ label: 'step' }];
    keys.forEach((k, i) => series.push({ label: k, stroke: cssVar(PALETTE[i % PALETTE.length], '#3794ff'), width: 1.5, points: { show: rows.length < 60 }, spanGaps: true }));
    const bands: uPlot.Band[] = [];
    if (d.std && rows.some((r) => typeof r.metrics[d.std!] === 'number')) {
      const std = d.std;
      const up = rows.map((r) => ({ step: r.step, metrics: { v: r.metrics[keys[0]] + (r.metrics[std] ?? 0) } }));
      const lo = rows.map((r) => ({ step: r.step, metrics: { v: r.metrics[keys[0]] - (r.metrics[std] ?? 0) } }));
      inputs.push({ rows: up, key: 'v' }, { rows: lo, key: 'v' });
      const fill = cssVar(PALETTE[0], '#3794ff');
      series.push({ label: 'mean+std', stroke: 'transparent', points: { show: false } }, { label: 'mean−std', stroke: 'transparent', points: { show: false } });
      bands.push({ series: [keys.length + 1, keys.length + 2], fill: `color-mix(in srgb, ${fill} 18%, transparent)` });
    }
    if (cmp) {
      const crows = cmp[d.kind];
      keys.forEach((k, i) => {
        if (!crows.some((r) => typeof r.metrics[k] === 'number')) return;
        inputs.push({ rows: crows, key: k, transform: pct });
        series.push({ label: `${k} (${cmp.name})`, stroke: cssVar(i === 0 ? '--vscode-charts-orange' : PALETTE[(i + 2) % PALETTE.length], '#d18616'), width: 1.5, dash: [5, 4], points: { show: false }, spanGaps: true });
      });
    }
    const data = align(inputs) as uPlot.AlignedData;
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(240, box.clientWidth - 8),
      height: 170,
      scales: {
        // One step: the steps either side, where uPlot would pad it to 0–6.
        x: { time: false, range: (_u, min, max) => (data[0].length === 1 ? [data[0][0] - 1, data[0][0] + 1] : [min, max]) },
        y: { range: (_u, min, max) => axisRange(min, max, d.unit === '%' ? 20 : 1, d.unit === '%') },
      },
      axes: [{ ...axis, label: 'step', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }, { ...axis, values: (_u, vals) => vals.map((v) => (d.unit === '%' ? `${+v.toFixed(1)}%` : String(+v.toPrecision(4)))) }],
      series,
      bands,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      // The ranges drawn, readable without the canvas (the UI tests check them).
      hooks: { setScale: [(u, key) => (box.dataset[key] = `${u.scales[key].min},${u.scales[key].max}`)] },
    };
    this.charts.push(new uPlot(opts, data, box));
  }

  private resize(): void {
    for (const c of this.charts) {
      const box = c.root.parentElement;
      if (box) c.setSize({ width: Math.max(240, box.clientWidth - 8), height: 170 });
    }
  }
}
