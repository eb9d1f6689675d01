// Per-problem × checkpoint pass rates from eval/step-NNNNNN.jsonl, drawn on a canvas (hundreds
// of tasks × dozens of evaluations). Hover shows a cell's figures as text.
import type { EvalTaskRow } from '../src/viewer/protocol';
import { h } from './dom';

export interface HeatmapModel {
  steps: number[];
  tasks: string[];
  /** rate[task][step index]: correct / n, or null when the task was not evaluated then. */
  rate: (number | null)[][];
  counts: ([number, number] | null)[][];
}

export type TaskOrder = 'hardest' | 'id';

export function heatmapModel(byStep: ReadonlyMap<number, EvalTaskRow[]>, order: TaskOrder = 'hardest'): HeatmapModel {
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  const idx = new Map<string, number>();
  const counts: ([number, number] | null)[][] = [];
  steps.forEach((step, s) => {
    for (const t of byStep.get(step)!) {
      let i = idx.get(t.task_id);
      if (i === undefined) {
        idx.set(t.task_id, (i = counts.length));
        counts.push(new Array(steps.length).fill(null));
      }
      counts[i][s] = [t.correct, t.n];
    }
  });
  let tasks = [...idx.keys()];
  const mean = (i: number) => {
    const cs = counts[i].filter((c): c is [number, number] => !!c && c[1] > 0);
    return cs.length ? cs.reduce((a, [c, n]) => a + c / n, 0) / cs.length : 0;
  };
  const order_ = tasks.map((t, i) => ({ t, i, m: mean(i) }));
  if (order === 'hardest') order_.sort((a, b) => a.m - b.m || a.t.localeCompare(b.t, undefined, { numeric: true }));
  else order_.sort((a, b) => a.t.localeCompare(b.t, undefined, { numeric: true }));
  tasks = order_.map((o) => o.t);
  const sorted = order_.map((o) => counts[o.i]);
  return { steps, tasks, counts: sorted, rate: sorted.map((row) => row.map((c) => (c && c[1] > 0 ? c[0] / c[1] : null))) };
}

const LABEL_W = 140;
const HEAD_H = 22;

export class Heatmap {
  readonly el: HTMLElement;
  private canvas: HTMLCanvasElement;
  private tip: HTMLElement;
  private info: HTMLElement;
  private byStep = new Map<number, EvalTaskRow[]>();
  private model: HeatmapModel | null = null;
  private cell = { w: 16, h: 12 };
  private order: TaskOrder = 'hardest';
  private visible = false;

  constructor() {
    this.canvas = h('canvas', { class: 'heatmap-canvas', role: 'img', 'aria-label': 'pass rate per task and checkpoint' });
    this.tip = h('div', { class: 'heatmap-tip', role: 'status' });
    this.info = h('span', { class: 'muted' });
    const sel = h('select', { title: 'task order' }, h('option', null, 'hardest first'), h('option', null, 'by task id'));
    sel.addEventListener('change', () => {
      this.order = sel.selectedIndex === 0 ? 'hardest' : 'id';
      this.draw();
    });
    this.el = h('div', { class: 'heatmap' }, h('div', { class: 'toolbar' }, h('label', null, 'Tasks: ', sel), this.info, this.tip), h('div', { class: 'heatmap-scroll' }, this.canvas));
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => (this.tip.textContent = ''));
    new MutationObserver(() => this.draw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  clear(): void {
    this.byStep.clear();
    this.draw();
  }

  set(step: number, tasks: EvalTaskRow[]): void {
    this.byStep.set(step, tasks);
    this.draw();
  }

  show(visible: boolean): void {
    this.visible = visible;
    if (visible) this.draw();
  }

  private draw(): void {
    if (!this.visible) return;
    const m = (this.model = heatmapModel(this.byStep, this.order));
    this.info.textContent = m.steps.length ? `${m.tasks.length} tasks × ${m.steps.length} evaluations; colour = fraction of samples correct` : 'No per-task evaluation results yet (eval/step-NNNNNN.jsonl).';
    const avail = Math.max(200, (this.el.clientWidth || 800) - LABEL_W - 24);
    this.cell.w = Math.max(6, Math.min(48, Math.floor(avail / Math.max(1, m.steps.length))));
    this.cell.h = Math.max(3, Math.min(16, Math.floor(4000 / Math.max(1, m.tasks.length))));
    const dpr = window.devicePixelRatio || 1;
    const W = LABEL_W + m.steps.length * this.cell.w + 4;
    const H = HEAD_H + m.tasks.length * this.cell.h + 4;
    this.canvas.width = W * dpr;
    this.canvas.height = H * dpr;
    this.canvas.style.width = `${W}px`;
    this.canvas.style.height = `${H}px`;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.scale(dpr, dpr);
    const style = getComputedStyle(document.body);
    const v = (n: string, f: string) => style.getPropertyValue(n).trim() || f;
    const fg = v('--vscode-foreground', '#ccc');
    const red = v('--vscode-charts-red', '#f14c4c');
    const yellow = v('--vscode-charts-yellow', '#cca700');
    const green = v('--vscode-charts-green', '#89d185');
    const empty = v('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)');
    const [R, Y, G] = [rgb(red), rgb(yellow), rgb(green)];
    ctx.font = `11px ${v('--vscode-font-family', 'sans-serif')}`;
    ctx.fillStyle = fg;
    ctx.textBaseline = 'middle';
    m.steps.forEach((s, j) => {
      if (this.cell.w >= 20 || j % Math.ceil(24 / this.cell.w) === 0) ctx.fillText(String(s), LABEL_W + j * this.cell.w + 1, HEAD_H / 2);
    });
    m.tasks.forEach((t, i) => {
      const y = HEAD_H + i * this.cell.h;
      if (this.cell.h >= 10) {
        ctx.fillStyle = fg;
        ctx.fillText(t.length > 20 ? `${t.slice(0, 19)}…` : t, 2, y + this.cell.h / 2);
      }
      m.rate[i].forEach((r, j) => {
        ctx.fillStyle = r === null ? empty : rateColor(r, R, Y, G);
        ctx.fillRect(LABEL_W + j * this.cell.w, y, this.cell.w - 1, Math.max(1, this.cell.h - 1));
      });
    });
  }

  private hover(e: MouseEvent): void {
    const m = this.model;
    if (!m) return;
    const rect = this.canvas.getBoundingClientRect();
    const j = Math.floor((e.clientX - rect.left - LABEL_W) / this.cell.w);
    const i = Math.floor((e.clientY - rect.top - HEAD_H) / this.cell.h);
    const c = m.counts[i]?.[j];
    if (j < 0 || i < 0 || j >= m.steps.length || i >= m.tasks.length) return void (this.tip.textContent = '');
    this.tip.textContent = c ? `${m.tasks[i]} · step ${m.steps[j]}: ${c[0]}/${c[1]} correct (${Math.round((100 * c[0]) / Math.max(1, c[1]))}%)` : `${m.tasks[i]} · step ${m.steps[j]}: not evaluated`;
  }
}

/** Parses any CSS colour the canvas understands into [r, g, b]. */
function rgb(color: string): RGB {
  const ctx = document.createElement('canvas').getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillStyle = color;
  const v = String(ctx.fillStyle);
  if (v.startsWith('#')) return [1, 3, 5].map((k) => parseInt(v.slice(k, k + 2), 16)) as RGB;
  const m = /(\d+(?:\.\d+)?)\D+(\d+(?:\.\d+)?)\D+(\d+(?:\.\d+)?)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [128, 128, 128];
}

type RGB = [number, number, number];

/** Pass rate 0 → red, 0.5 → yellow, 1 → green. */
export function rateColor(rate: number, red: RGB, yellow: RGB, green: RGB): string {
  const [a, b, t] = rate < 0.5 ? [red, yellow, rate * 2] : [yellow, green, (rate - 0.5) * 2];
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * Math.min(1, Math.max(0, t))));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
