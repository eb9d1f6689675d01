// The run viewer's webview client. It renders only what the extension sends, always as text,
// and keeps its filters, selection and scroll position in the webview state so a reopened
// panel comes back as it was (the rows themselves are rebuilt from the run's files).
import { FLAGS } from '../trainer/src/run/constants';
import { emptyFilter, fromWire, type GroupBy, type HostMessage, type LogEntry, type Problem, type RunInfo, type SortKey, type ViewState, type WebviewMessage, type WireMessage } from '../src/viewer/protocol';
import { button, checkbox, clear, h, icon, numberInput, select } from './dom';
import { ViewBuilder, type DisplayRow } from './view';
import { RolloutTable } from './table';
import { renderTranscript } from './transcript';
import { rejudgedBanner } from './rejudged';
import { MetricsView } from './charts';
import { Heatmap } from './heatmap';

declare function acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void };

const vscode = acquireVsCodeApi();
const post = (m: WebviewMessage) => vscode.postMessage(m);

const defaults: ViewState = {
  tab: 'rollouts',
  sort: { key: 'step', dir: 1 },
  group: 'step',
  filter: emptyFilter(),
  collapsed: [],
  selected: null,
  scrollTop: 0,
  tokenMode: 'logprob',
  transcriptMode: 'messages',
};
const saved = (vscode.getState() ?? {}) as Partial<ViewState> & { grouped?: boolean };
const state: ViewState = { ...defaults, ...saved, filter: { ...emptyFilter(), ...(saved.filter ?? {}) }, sort: { ...defaults.sort, ...(saved.sort ?? {}) } };
// Panels saved before grouping by source kept a boolean.
if (saved.group === undefined && saved.grouped === false) state.group = 'none';
delete (state as { grouped?: boolean }).grouped;

let saveTimer = 0;
function save(): void {
  clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => vscode.setState(state), 150);
}

// ---- model ------------------------------------------------------------------------------
const rows = new ViewBuilder();
let searchIds: Set<string> | null = null;
/** Bumped whenever searchIds changes, so cached view segments are rebuilt. */
let searchVersion = 0;
let loaded = false;
let searching = false;
let run: RunInfo | null = null;
let restored = false;
let transcriptFor: string | null = null;
let lastTranscript: Extract<HostMessage, { type: 'transcript' }> | null = null;

// ---- layout -----------------------------------------------------------------------------
const app = document.getElementById('app')!;
const title = h('span', { class: 'run-name' });
const status = h('span', { class: 'badge' });
const counts = h('span', { class: 'muted counts', 'aria-live': 'polite' });
const progress = h('span', { class: 'muted progress' });
const problemsBtn = h('button', { class: 'btn problems-btn hidden', title: 'Problems found while reading the run' });
problemsBtn.type = 'button';
const problemsBox = h('div', { class: 'problems hidden', role: 'alert' });
problemsBtn.addEventListener('click', () => problemsBox.classList.toggle('hidden'));
const header = h('header', { class: 'run-header' }, icon('beaker'), title, status, progress, counts, h('span', { class: 'spacer' }), problemsBtn);

const TABS: [ViewState['tab'], string, string][] = [
  ['rollouts', 'Rollouts', 'list-flat'],
  ['metrics', 'Metrics', 'graph-line'],
  ['eval', 'Evaluation', 'table'],
  ['log', 'Log', 'output'],
];
const tabButtons = new Map<ViewState['tab'], HTMLButtonElement>();
const tabBar = h('nav', { class: 'tabs', role: 'tablist' });
for (const [id, label, ic] of TABS) {
  const b = h('button', { class: 'tab', role: 'tab', 'aria-selected': 'false', 'data-tab': id }, icon(ic), h('span', null, label));
  b.type = 'button';
  b.addEventListener('click', () => showTab(id));
  tabButtons.set(id, b);
  tabBar.append(b);
}

// Rollouts tab: filters, table, transcript.
const searchInput = h('input', { class: 'search', title: 'Search inside transcripts (messages, tool calls, answers)', 'aria-label': 'search transcripts' });
searchInput.type = 'search';
searchInput.placeholder = 'Search transcripts…';
searchInput.value = state.filter.text;
const searchState = h('span', { class: 'muted search-state' });
let searchTimer = 0;
searchInput.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => startSearch(searchInput.value), 300);
});
searchInput.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    clearTimeout(searchTimer);
    startSearch(searchInput.value);
  }
});

const failedOnly = checkbox('Failed only', state.filter.failedOnly, (v) => setFilter({ failedOnly: v }));
const GROUPINGS = [['step', 'Group by step and task'], ['source', 'Group by source'], ['none', 'No grouping']] as const;
const groupSel = select<GroupBy>('grouping', GROUPINGS, state.group, (v) => ((state.group = v), save(), refresh(true)));
const flagsMenu = h('details', { class: 'dropdown' }, h('summary', { class: 'btn' }, icon('filter'), h('span', { class: 'flags-label' }, 'Flags')));
const flagsList = h('div', { class: 'dropdown-body' });
FLAGS.forEach((f, i) => flagsList.append(checkbox(f, Boolean(state.filter.flags & (1 << i)), (v) => setFilter({ flags: v ? state.filter.flags | (1 << i) : state.filter.flags & ~(1 << i) })).el));
flagsMenu.append(flagsList);
const rewardMin = numberInput('reward ≥', state.filter.rewardMin, (v) => setFilter({ rewardMin: v }));
const rewardMax = numberInput('reward ≤', state.filter.rewardMax, (v) => setFilter({ rewardMax: v }));
const stepMin = numberInput('step ≥', state.filter.stepMin, (v) => setFilter({ stepMin: v }));
const stepMax = numberInput('step ≤', state.filter.stepMax, (v) => setFilter({ stepMax: v }));
const PHASES = (['all', 'train', 'eval', 'debug'] as const).map((p) => [p, p] as const);
const phaseSel = select<ViewState['filter']['phase']>('phase', PHASES, state.filter.phase, (phase) => setFilter({ phase }));
const clearBtn = button('', 'clear-all', () => {
  state.filter = emptyFilter();
  searchInput.value = '';
  syncFilterInputs();
  startSearch('');
}, 'Clear all filters');
const shown = h('span', { class: 'muted shown' });
/** The ids of the rollouts the filters show: what "Re-judge shown" re-judges. */
let shownIds: string[] = [];
const rejudgeShown = button('Re-judge shown', 'refresh', () => post(shownIds.length === rows.size ? { type: 'rejudge' } : { type: 'rejudge', ids: shownIds }), 'Score the rollouts the filters show again with the current judge and write them into the run');
const filterBar = h('div', { class: 'toolbar filters' }, h('span', { class: 'search-wrap' }, icon('search'), searchInput), searchState, failedOnly.el, flagsMenu, rewardMin.el, rewardMax.el, stepMin.el, stepMax.el, phaseSel, groupSel, clearBtn, h('span', { class: 'spacer' }), rejudgeShown, shown);

const table = new RolloutTable({
  onSelect: (row) => onSelect(row),
  onToggle: (key) => {
    const set = new Set(state.collapsed);
    if (set.has(key)) set.delete(key);
    else set.add(key);
    state.collapsed = [...set];
    save();
    refresh(true);
  },
  onSort: (key: SortKey) => {
    state.sort = state.sort.key === key ? { key, dir: state.sort.dir === 1 ? -1 : 1 } : { key, dir: key === 'reward' || key === 'adv' ? -1 : 1 };
    save();
    refresh(true);
  },
  onScroll: (top) => {
    state.scrollTop = top;
    save();
  },
});
const transcriptPane = h('div', { class: 'transcript-pane', role: 'region', 'aria-label': 'transcript' }, h('div', { class: 'empty-state' }, 'Select a rollout to read its transcript.'));
const rolloutsTab = h('div', { class: 'tabpanel rollouts', role: 'tabpanel' }, filterBar, h('div', { class: 'split' }, table.el, transcriptPane));

const metrics = new MetricsView({ onCompare: () => post({ type: 'compare' }), onClearCompare: () => post({ type: 'clearCompare' }) });
const metricsTab = h('div', { class: 'tabpanel', role: 'tabpanel' }, metrics.el);
const heatmap = new Heatmap();
const evalTab = h('div', { class: 'tabpanel', role: 'tabpanel' }, heatmap.el);
const logList = h('div', { class: 'log', role: 'log' });
const logTab = h('div', { class: 'tabpanel', role: 'tabpanel' }, logList);
const panels: Record<ViewState['tab'], HTMLElement> = { rollouts: rolloutsTab, metrics: metricsTab, eval: evalTab, log: logTab };
const actionBar = h('div', { class: 'action-status hidden', role: 'status' });

clear(app);
app.append(header, problemsBox, actionBar, tabBar, ...Object.values(panels));
table.setSort(state.sort.key, state.sort.dir, state.group === 'step');
showTab(state.tab);

// ---- behaviour --------------------------------------------------------------------------
function syncFilterInputs(): void {
  failedOnly.input.checked = state.filter.failedOnly;
  rewardMin.input.value = state.filter.rewardMin === null ? '' : String(state.filter.rewardMin);
  rewardMax.input.value = state.filter.rewardMax === null ? '' : String(state.filter.rewardMax);
  stepMin.input.value = state.filter.stepMin === null ? '' : String(state.filter.stepMin);
  stepMax.input.value = state.filter.stepMax === null ? '' : String(state.filter.stepMax);
  phaseSel.value = state.filter.phase;
  flagsList.querySelectorAll('input').forEach((el, i) => ((el as HTMLInputElement).checked = Boolean(state.filter.flags & (1 << i))));
  refresh(true);
}

function setFilter(patch: Partial<ViewState['filter']>): void {
  state.filter = { ...state.filter, ...patch };
  save();
  refresh(true);
}

function startSearch(text: string): void {
  state.filter.text = text.trim();
  save();
  searchIds = state.filter.text ? new Set() : null;
  searchVersion++;
  searching = Boolean(state.filter.text);
  searchState.textContent = searching ? 'searching…' : '';
  post({ type: 'search', query: state.filter.text });
  refresh(true);
}

function showTab(tab: ViewState['tab']): void {
  state.tab = tab;
  save();
  for (const [id, b] of tabButtons) b.setAttribute('aria-selected', String(id === tab));
  for (const [id, p] of Object.entries(panels)) p.classList.toggle('hidden', id !== tab);
  metrics.show(tab === 'metrics');
  heatmap.show(tab === 'eval');
  if (tab === 'rollouts') table.render();
}

let refreshTimer = 0;
let lastBuild = 0;
let buildCost = 0;
/**
 * Rebuilds the display list at most once a frame. While a large run is still loading, redraws
 * are spaced by a multiple of their cost, so loading is not starved by drawing.
 */
function refresh(now = false): void {
  if (refreshTimer) return;
  const gap = Math.max(200, 4 * buildCost);
  const wait = now || loaded ? 0 : Math.max(0, lastBuild + gap - performance.now());
  refreshTimer = window.setTimeout(() => requestAnimationFrame(build), wait);
}

function build(): void {
  refreshTimer = 0;
  const t = performance.now();
  const options = { filter: state.filter, searchIds, sort: state.sort, group: state.group, collapsed: new Set(state.collapsed) };
  const view = rows.build(options, JSON.stringify([state.filter, state.sort, state.group, state.collapsed, searchVersion]));
  table.setSort(state.sort.key, state.sort.dir, state.group === 'step');
  table.setRows(view);
  let n = 0;
  shownIds = [];
  for (const r of view) if (r.kind === 'row') (n++, shownIds.push(r.key));
  rejudgeShown.disabled = n === 0;
  shown.textContent = `${n.toLocaleString()} of ${rows.size.toLocaleString()} rollouts`;
  post({ type: 'rendered', rows: rows.size, shown: n, ids: table.visibleIds() });
  lastBuild = performance.now();
  buildCost = lastBuild - t;
  if (!restored && run && run.status !== 'loading') restore();
}

function restore(): void {
  restored = true;
  table.scrollTop = state.scrollTop;
  if (state.selected && rows.has(state.selected)) table.select(state.selected, false);
}

let openTimer = 0;
function onSelect(row: DisplayRow): void {
  state.selected = row.key;
  save();
  if (row.kind !== 'row' || transcriptFor === row.key) return;
  transcriptFor = row.key;
  clearTimeout(openTimer);
  openTimer = window.setTimeout(() => {
    transcriptPane.replaceChildren(h('div', { class: 'empty-state' }, icon('loading'), ' Loading transcript…'));
    post({ type: 'open', id: row.key });
  }, 60);
}

function showTranscript(m: Extract<HostMessage, { type: 'transcript' }>): void {
  if (m.id !== transcriptFor) return;
  lastTranscript = m;
  const keep = transcriptPane.scrollTop;
  if (m.error || !m.record) {
    transcriptPane.replaceChildren(h('div', { class: 'empty-state error-text' }, icon('error'), ' ', m.error ?? 'no transcript'));
    return;
  }
  transcriptPane.replaceChildren(
    renderTranscript(m.record, {
      mode: state.transcriptMode,
      tokenMode: state.tokenMode,
      live: m.live,
      onMode: (mode) => {
        state.transcriptMode = mode;
        save();
        if (lastTranscript) showTranscript(lastTranscript);
      },
      onTokenMode: (mode) => {
        state.tokenMode = mode;
        save();
        if (lastTranscript) showTranscript(lastTranscript);
      },
      onJudgeSource: () => post({ type: 'judgeSource' }),
      onRejudge: (scope) => post(scope === 'run' ? { type: 'rejudge' } : { type: 'rejudge', ids: [m.id] }),
    }),
  );
  if (m.live) transcriptPane.scrollTop = keep;
}

const STATUS_ICON: Record<RunInfo['status'], string> = { loading: 'loading', running: 'sync', finished: 'pass', failed: 'error', stopped: 'debug-stop', unknown: 'question' };
function showRun(r: RunInfo): void {
  run = r;
  title.textContent = r.name;
  title.title = r.dir + (r.importedFrom ? `\nimported from ${r.importedFrom}` : '');
  status.className = `badge status-${r.status}`;
  status.replaceChildren(icon(STATUS_ICON[r.status]), ` ${r.status}${r.mode ? ` · ${r.mode}` : ''}${r.importedFrom ? ' · imported' : ''}`);
  status.title = r.message ?? '';
  progress.textContent = r.progress ?? '';
}

function showProblems(list: Problem[]): void {
  problemsBtn.classList.toggle('hidden', !list.length);
  problemsBtn.replaceChildren(icon('warning'), h('span', null, ` ${list.length} problem${list.length === 1 ? '' : 's'}`));
  problemsBox.replaceChildren(
    h('div', { class: 'problems-title' }, icon('warning'), ' Some of this run could not be read; showing everything that could.'),
    h('ul', null, ...list.map((p) => h('li', null, h('span', { class: 'loc' }, `${p.file}${p.line ? `:${p.line}` : ''}`), ' ', p.message))),
  );
  if (list.length) problemsBox.classList.remove('hidden');
}

function addLogs(entries: LogEntry[]): void {
  for (const e of entries) {
    const line = h('div', { class: `log-line level-${e.level}` }, icon(e.level === 'error' ? 'error' : e.level === 'warn' ? 'warning' : 'info'), h('span', { class: 'muted' }, ` ${new Date(e.t).toLocaleTimeString()} `), h('span', null, e.message));
    if (e.rollout) {
      const id = e.rollout;
      line.append(' ', button(id, 'link', () => {
        showTab('rollouts');
        table.select(id);
      }, 'Show this rollout'));
    }
    logList.append(line);
  }
}

function showRejudged(m: Extract<HostMessage, { type: 'rejudged' }>): void {
  actionBar.className = 'action-status state-done rejudged';
  actionBar.replaceChildren(
    ...rejudgedBanner(m, {
      onShow: (id) => {
        showTab('rollouts');
        table.select(id);
      },
      onOnly: (ids) => {
        searchIds = new Set(ids);
        searchVersion++;
        searchState.textContent = `the ${ids.length} flipped rollout${ids.length === 1 ? '' : 's'} (clear the filters to see all)`;
        refresh(true);
      },
    }),
  );
}

function onMessage(m: HostMessage): void {
  switch (m.type) {
    case 'reset':
      state.dir = m.run.dir;
      state.importedFrom = m.run.importedFrom;
      save();
      rows.clear();
      searchIds = state.filter.text ? new Set() : null;
      searchVersion++;
      loaded = false;
      restored = false;
      transcriptFor = null;
      showRun(m.run);
      showProblems([]);
      logList.replaceChildren();
      heatmap.clear();
      counts.textContent = 'loading…';
      refresh(true);
      break;
    case 'run':
      showRun(m.run);
      break;
    case 'rows': {
      // The first rows of a run are drawn at once (first paint); later ones as loading allows.
      const first = rows.size === 0;
      for (const r of m.rows) rows.upsert(r);
      counts.textContent = `${rows.size.toLocaleString()} rollouts`;
      refresh(first);
      break;
    }
    case 'loaded':
      loaded = true;
      counts.textContent = `${m.rows.toLocaleString()} rollouts`;
      if (state.filter.text) startSearch(state.filter.text);
      refresh(true);
      break;
    case 'metrics':
      metrics.setSeries(m.series);
      break;
    case 'compare':
      metrics.setCompare(m.series);
      break;
    case 'eval':
      heatmap.set(m.step, m.tasks);
      break;
    case 'problems':
      showProblems(m.problems);
      break;
    case 'logs':
      addLogs(m.entries);
      break;
    case 'transcript':
      showTranscript(m);
      break;
    case 'search':
      if (m.query.trim() !== state.filter.text) break;
      if (!searchIds) searchIds = new Set();
      for (const id of m.ids) searchIds.add(id);
      searchVersion++;
      if (m.done) {
        searching = false;
        searchState.textContent = m.error ? `search failed: ${m.error}` : `${searchIds.size.toLocaleString()} match${searchIds.size === 1 ? '' : 'es'}`;
      }
      refresh();
      break;
    case 'action':
      actionBar.classList.remove('hidden');
      actionBar.className = `action-status state-${m.state}`;
      actionBar.replaceChildren(icon(m.state === 'running' ? 'loading' : m.state === 'done' ? 'pass' : 'error'), ' ', m.message);
      break;
    case 'rejudged':
      showRejudged(m);
      break;
  }
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as WireMessage;
  if (m && typeof m === 'object' && typeof m.type === 'string') onMessage(fromWire(m));
});
post({ type: 'ready' });
