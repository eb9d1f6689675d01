// The rollouts table: a virtualised grid. Only the rows in view exist in the DOM; scrolling
// reuses them. Header rows (step, task group) fold; keyboard moves the selection.
import { flagNames, type RowSummary, type SortKey } from '../src/viewer/protocol';
import { fmtMs, fmtNum, h, icon } from './dom';
import type { DisplayRow, Stats } from './view';
import { pageRows, revealRow, visibleWindow } from './virtual';

export const ROW_HEIGHT = 22;

interface Column {
  key: SortKey;
  label: string;
  title: string;
  cls: string;
  cell(r: RowSummary): string;
}

const COLUMNS: Column[] = [
  { key: 'step', label: 'Step', title: 'training step', cls: 'c-step num', cell: (r) => String(r.step) },
  { key: 'task', label: 'Task', title: 'task id', cls: 'c-task', cell: (r) => r.task },
  { key: 'sample', label: '#', title: 'sample index within the group', cls: 'c-sample num', cell: (r) => String(r.sample) },
  { key: 'reward', label: 'Reward', title: 'scalar reward', cls: 'c-reward num', cell: (r) => fmtNum(r.reward) },
  { key: 'success', label: 'OK', title: 'judged correct', cls: 'c-success', cell: (r) => (r.state === 'stopped' ? '■' : r.success === null ? '…' : r.success ? '✓' : '✗') },
  { key: 'adv', label: 'Adv', title: 'advantage used in the update', cls: 'c-adv num', cell: (r) => fmtNum(r.adv, 2) },
  { key: 'turns', label: 'Turns', title: 'assistant turns', cls: 'c-turns num', cell: (r) => String(r.turns) },
  { key: 'tools', label: 'Tools', title: 'tool calls', cls: 'c-tools num', cell: (r) => String(r.tools) },
  { key: 'tokens', label: 'Tokens', title: 'sampled (completion) tokens', cls: 'c-tokens num', cell: (r) => String(r.tokens) },
  { key: 'flags', label: 'Flags', title: 'format error, tool error, judge error, truncated, …', cls: 'c-flags', cell: (r) => flagNames(r.flags).join(' ') },
  { key: 'dur', label: 'Time', title: 'duration', cls: 'c-dur num', cell: (r) => fmtMs(r.dur) },
];

export interface TableEvents {
  onSelect(row: DisplayRow): void;
  onToggle(key: string): void;
  onSort(key: SortKey): void;
  onScroll(scrollTop: number): void;
}

export class RolloutTable {
  readonly el: HTMLElement;
  private viewport: HTMLElement;
  private spacer: HTMLElement;
  private body: HTMLElement;
  private head: HTMLElement;
  private rows: DisplayRow[] = [];
  private index: Map<string, number> | null = null;
  private selected: string | null = null;
  private pool: HTMLElement[] = [];
  private frame = 0;

  constructor(private events: TableEvents) {
    this.head = h('div', { class: 'thead', role: 'row' });
    this.body = h('div', { class: 'tbody', role: 'rowgroup' });
    this.spacer = h('div', { class: 'spacer-v' }, this.body);
    this.viewport = h('div', { class: 'viewport' }, this.spacer);
    this.el = h('div', { class: 'table', role: 'grid', tabIndex: 0, 'aria-label': 'rollouts', 'aria-rowcount': '0' }, this.head, this.viewport);
    this.viewport.addEventListener('scroll', () => {
      this.schedule();
      this.events.onScroll(this.viewport.scrollTop);
    });
    this.el.addEventListener('keydown', (e) => this.key(e));
    this.body.addEventListener('click', (e) => {
      const rowEl = (e.target as HTMLElement).closest<HTMLElement>('.tr');
      if (!rowEl) return;
      const i = Number(rowEl.dataset.index);
      const row = this.rows[i];
      if (!row) return;
      if (row.kind !== 'row' && (e.target as HTMLElement).closest('.twisty')) this.events.onToggle(row.key);
      this.select(row.key, false);
      this.el.focus({ preventScroll: true });
    });
    this.body.addEventListener('dblclick', (e) => {
      const rowEl = (e.target as HTMLElement).closest<HTMLElement>('.tr');
      const row = rowEl && this.rows[Number(rowEl.dataset.index)];
      if (row && row.kind !== 'row') this.events.onToggle(row.key);
    });
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
  }

  /** `grouped`: rows sit under step headers, so the step column is left out. */
  setSort(key: SortKey, dir: 1 | -1, grouped: boolean): void {
    this.head.replaceChildren(
      ...COLUMNS.filter((c) => !(grouped && c.key === 'step')).map((c) => {
        const b = h('div', { class: `th ${c.cls}`, role: 'columnheader', title: `${c.title} (click to sort)`, 'aria-sort': c.key === key ? (dir === 1 ? 'ascending' : 'descending') : 'none', 'data-key': c.key }, c.label, c.key === key ? icon(dir === 1 ? 'arrow-up' : 'arrow-down') : null);
        b.addEventListener('click', () => this.events.onSort(c.key));
        return b;
      }),
    );
    this.el.classList.toggle('grouped', grouped);
  }

  setRows(rows: DisplayRow[]): void {
    this.rows = rows;
    this.index = null;
    this.spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    this.el.setAttribute('aria-rowcount', String(rows.length));
    this.render();
  }

  /** Position of each key; built on first use after the rows change (selection, keyboard). */
  private indexOf(): Map<string, number> {
    if (!this.index) {
      this.index = new Map();
      for (let i = 0; i < this.rows.length; i++) this.index.set(this.rows[i].key, i);
    }
    return this.index;
  }

  get displayRows(): readonly DisplayRow[] {
    return this.rows;
  }

  get scrollTop(): number {
    return this.viewport.scrollTop;
  }

  set scrollTop(v: number) {
    this.viewport.scrollTop = v;
    this.render();
  }

  /** Ids of the data rows now in the DOM. */
  visibleIds(): string[] {
    const ids: string[] = [];
    for (const el of this.body.children) {
      const row = this.rows[Number((el as HTMLElement).dataset.index)];
      if (row?.kind === 'row') ids.push(row.key);
    }
    return ids;
  }

  get selectedKey(): string | null {
    return this.selected;
  }

  select(key: string | null, reveal = true): void {
    this.selected = key;
    const i = key === null ? -1 : this.indexOf().get(key) ?? -1;
    if (i >= 0 && reveal) this.viewport.scrollTop = revealRow(i, this.viewport.scrollTop, this.viewport.clientHeight, ROW_HEIGHT);
    this.render();
    if (i >= 0) this.events.onSelect(this.rows[i]);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render(): void {
    const w = visibleWindow(this.viewport.scrollTop, this.viewport.clientHeight || 600, ROW_HEIGHT, this.rows.length);
    this.body.style.transform = `translateY(${w.offset}px)`;
    const n = w.end - w.start;
    while (this.pool.length < n) this.pool.push(h('div', { class: 'tr', role: 'row' }));
    const grouped = this.el.classList.contains('grouped');
    for (let k = 0; k < n; k++) {
      const i = w.start + k;
      const el = this.pool[k];
      const row = this.rows[i];
      el.dataset.index = String(i);
      el.setAttribute('aria-rowindex', String(i + 1));
      const selected = row.key === this.selected;
      el.setAttribute('aria-selected', String(selected));
      if (row.kind === 'row') this.fillRow(el, row.row, selected, grouped);
      else this.fillHeader(el, row, selected);
    }
    if (this.body.childElementCount !== n || this.body.firstChild !== this.pool[0]) this.body.replaceChildren(...this.pool.slice(0, n));
  }

  private fillRow(el: HTMLElement, r: RowSummary, selected: boolean, grouped: boolean): void {
    el.className = `tr data ${r.state}${r.success === false ? ' failed' : ''}${r.success === true ? ' passed' : ''}${selected ? ' selected' : ''}`;
    const cols = grouped ? COLUMNS.filter((c) => c.key !== 'step') : COLUMNS;
    if (el.childElementCount !== cols.length || el.dataset.shape !== 'row') {
      el.replaceChildren(...cols.map((c) => h('div', { class: `td ${c.cls}`, role: 'gridcell' })));
      el.dataset.shape = 'row';
    }
    for (let c = 0; c < cols.length; c++) el.children[c].textContent = cols[c].cell(r);
  }

  private fillHeader(el: HTMLElement, row: Exclude<DisplayRow, { kind: 'row' }>, selected: boolean): void {
    el.className = `tr head-${row.kind}${selected ? ' selected' : ''}`;
    el.dataset.shape = 'header';
    el.setAttribute('aria-expanded', String(!row.collapsed));
    const label = row.kind === 'step' ? `Step ${row.step}` : row.kind === 'source' ? row.source : row.task;
    const sub = row.kind === 'group' && row.group !== row.task ? ` · ${row.group}` : '';
    el.replaceChildren(
      h('div', { class: 'td span', role: 'gridcell' }, h('span', { class: 'twisty' }, icon(row.collapsed ? 'chevron-right' : 'chevron-down')), h('span', { class: 'hlabel' }, label), h('span', { class: 'muted' }, sub), h('span', { class: 'hstats' }, statsText(row.stats))),
    );
  }

  private key(e: KeyboardEvent): void {
    if (!this.rows.length) return;
    const cur = this.selected === null ? -1 : this.indexOf().get(this.selected) ?? -1;
    const page = pageRows(this.viewport.clientHeight, ROW_HEIGHT);
    let next = cur;
    const row = this.rows[cur];
    switch (e.key) {
      case 'ArrowDown':
        next = Math.min(this.rows.length - 1, cur + 1);
        break;
      case 'ArrowUp':
        next = Math.max(0, cur - 1);
        break;
      case 'PageDown':
        next = Math.min(this.rows.length - 1, cur + page);
        break;
      case 'PageUp':
        next = Math.max(0, cur - page);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = this.rows.length - 1;
        break;
      case 'ArrowLeft':
        if (row && row.kind !== 'row' && !row.collapsed) this.events.onToggle(row.key);
        else if (row) next = this.parentIndex(cur);
        break;
      case 'ArrowRight':
        if (row && row.kind !== 'row' && row.collapsed) this.events.onToggle(row.key);
        break;
      case 'Enter':
      case ' ':
        if (row && row.kind !== 'row') this.events.onToggle(row.key);
        else if (row) this.events.onSelect(row);
        break;
      default:
        return;
    }
    e.preventDefault();
    if (next !== cur && next >= 0) this.select(this.rows[next].key);
  }

  private parentIndex(i: number): number {
    const kind = this.rows[i].kind;
    for (let j = i - 1; j >= 0; j--) {
      const k = this.rows[j].kind;
      if ((kind === 'row' && k !== 'row') || (kind === 'group' && k === 'step')) return j;
    }
    return i;
  }
}

function statsText(s: Stats): string {
  const parts = [`${s.n} rollout${s.n === 1 ? '' : 's'}`];
  if (s.scored) parts.push(`reward ${fmtNum(s.rewardMean)}`, `${s.ok}/${s.scored} correct`);
  if (s.running) parts.push(`${s.running} running`);
  if (s.scored + s.running < s.n) parts.push(`${s.n - s.scored - s.running} cut off`);
  return parts.join(' · ');
}
