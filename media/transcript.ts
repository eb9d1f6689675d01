// The transcript of one rollout, inline beside the table. Every string from the run is set as
// text; tool-call arguments and judge details are shown as formatted JSON text.
import { splitThinking, turnAdvantage, type Message, type TurnRecord } from '../trainer/src/run/events';
import type { TranscriptRecord } from '../src/viewer/protocol';
import { button, fmtMs, fmtNum, h, icon } from './dom';
import { advantagePaint, logprobPaint, showWhitespace } from './tokens';

export interface TranscriptOptions {
  mode: 'messages' | 'tokens';
  tokenMode: 'logprob' | 'advantage';
  live: boolean;
  onMode(mode: 'messages' | 'tokens'): void;
  onTokenMode(mode: 'logprob' | 'advantage'): void;
  onJudgeSource(): void;
  /** Re-judge this rollout, or the whole run. */
  onRejudge(scope: 'rollout' | 'run'): void;
}

const ROLE_ICON: Record<string, string> = { system: 'settings-gear', user: 'account', assistant: 'hubot', tool: 'tools' };

// The thinking folds the reader opened stay open while the same rollout is drawn again: a live
// transcript is redrawn on every turn. They are known by assistant turn, not message index: a
// live transcript has no system message, its line does.
const opened = { id: '', turns: new Set<number>() };

export function renderTranscript(r: TranscriptRecord, o: TranscriptOptions): HTMLElement {
  const root = h('div', { class: 'transcript', 'data-id': r.id });
  if (opened.id !== r.id) {
    opened.id = r.id;
    opened.turns.clear();
  }
  root.append(header(r, o), actions(o));
  if (r.question !== undefined || r.reference !== undefined || r.final_answer !== undefined) root.append(answer(r));
  if (r.error) root.append(section('Error', 'error', h('div', { class: 'error-text' }, `${r.error.source}: ${r.error.message}`), r.error.stack ? pre(r.error.stack, 'stack') : null));
  const turnsByMessage = new Map<number, TurnRecord>();
  for (const t of r.turns ?? []) turnsByMessage.set(t.message_index, t);
  let assistants = 0;
  root.append(
    section(
      o.mode === 'tokens' ? 'Tokens' : 'Conversation',
      'comment-discussion',
      o.mode === 'tokens' ? tokenView(r, turnsByMessage, o.tokenMode) : h('div', { class: 'messages' }, ...r.messages.map((m, i) => message(m, m.role === 'assistant' ? assistants++ : -1, turnsByMessage.get(i), r.messages))),
    ),
  );
  if (r.parts || r.judge) root.append(judge(r));
  if (r.timings || r.turns?.length) root.append(timings(r));
  return root;
}

function header(r: TranscriptRecord, o: TranscriptOptions): HTMLElement {
  const verdict =
    r.cut_off ? h('span', { class: 'badge', title: 'the run ended before this rollout finished' }, icon('debug-stop'), ` cut off (run ${r.cut_off})`) :
    r.success === undefined ? h('span', { class: 'badge running' }, icon('loading'), ' running') : r.success ? h('span', { class: 'badge ok' }, icon('pass'), ' success') : h('span', { class: 'badge fail' }, icon('error'), ' failed');
  return h(
    'div',
    { class: 'tx-header' },
    h('div', { class: 'tx-title' }, h('span', { class: 'tx-task' }, r.task_id ?? r.id), o.live ? h('span', { class: 'badge live', title: 'still running: updates as events arrive' }, icon('pulse'), ' live') : null),
    h(
      'div',
      { class: 'tx-meta' },
      verdict,
      kv('reward', fmtNum(r.reward)),
      kv('advantage', fmtNum(r.advantage ?? null)),
      kv('step', r.step === undefined ? '–' : String(r.step)),
      kv('group', r.group_id ?? '–'),
      kv('sample', r.sample === undefined ? '–' : String(r.sample)),
      kv('phase', r.phase ?? '–'),
      ...(r.flags ?? []).map((f) => h('span', { class: `chip flag-${f}` }, f)),
    ),
  );
}

function kv(k: string, v: string): HTMLElement {
  return h('span', { class: 'kv' }, h('span', { class: 'k' }, k), h('span', { class: 'v' }, v));
}

function actions(o: TranscriptOptions): HTMLElement {
  const seg = (label: string, active: boolean, onClick: () => void) => {
    const b = button(label, null, onClick);
    b.classList.add('seg');
    b.setAttribute('aria-pressed', String(active));
    return b;
  };
  return h(
    'div',
    { class: 'tx-actions' },
    h('span', { class: 'segmented', role: 'group', 'aria-label': 'view' }, seg('Messages', o.mode === 'messages', () => o.onMode('messages')), seg('Tokens', o.mode === 'tokens', () => o.onMode('tokens'))),
    o.mode === 'tokens'
      ? h('span', { class: 'segmented', role: 'group', 'aria-label': 'colour tokens by' }, seg('Logprob', o.tokenMode === 'logprob', () => o.onTokenMode('logprob')), seg('Advantage', o.tokenMode === 'advantage', () => o.onTokenMode('advantage')))
      : null,
    h('span', { class: 'spacer' }),
    button('Open judge source', 'go-to-file', o.onJudgeSource),
    button('Re-judge this rollout', 'refresh', () => o.onRejudge('rollout'), 'Score this rollout again with the current judge and write it into the run'),
    button('Re-judge with the current judge', 'refresh', () => o.onRejudge('run'), 'Score every rollout of the run again with the current judge and write them into the run'),
  );
}

function section(title: string, iconName: string, ...body: (Node | null)[]): HTMLElement {
  return h('section', { class: 'tx-section' }, h('h3', null, icon(iconName), ' ', title), ...body);
}

function pre(text: string, cls = ''): HTMLElement {
  return h('pre', { class: `text ${cls}` }, text);
}

function answer(r: TranscriptRecord): HTMLElement {
  const verdict = r.success === undefined ? '' : r.success ? 'match' : 'mismatch';
  return section(
    'Answer',
    'target',
    r.question !== undefined ? h('div', { class: 'field' }, h('div', { class: 'label' }, 'Question'), pre(r.question)) : null,
    h(
      'div',
      { class: `answer-compare ${verdict}` },
      h('div', { class: 'field' }, h('div', { class: 'label' }, 'Final answer'), r.final_answer === null || r.final_answer === undefined ? h('div', { class: 'muted' }, 'none extracted') : pre(r.final_answer)),
      h('div', { class: 'field' }, h('div', { class: 'label' }, 'Reference'), pre(r.reference ?? '')),
    ),
  );
}

function json(v: unknown): string {
  try {
    return JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    return String(v);
  }
}

/** A leading `<think>` block, folded and closed: the answer is what a reader looks for first. */
function thinkingFold(text: string, nth: number): HTMLElement {
  const chars = [...text].length;
  const fold = h('details', { class: 'thinking' }, h('summary', null, icon('lightbulb'), ` Thinking (${chars ? `${chars} char${chars === 1 ? '' : 's'}` : 'empty'})`), pre(text, 'thinking-text'));
  fold.open = opened.turns.has(nth);
  fold.addEventListener('toggle', () => (fold.open ? opened.turns.add(nth) : opened.turns.delete(nth)));
  return fold;
}

/** `nth`: which assistant message this is, from 0. */
function message(m: Message, nth: number, turn: TurnRecord | undefined, all: Message[]): HTMLElement {
  const role = m.role in ROLE_ICON ? m.role : 'user';
  const split = m.role === 'assistant' ? splitThinking(m.content) : null;
  const thinking = split?.thinking ?? null;
  const said = split && thinking !== null ? split.rest.replace(/^\s+/, '') : m.content;
  const meta: (Node | string)[] = [];
  if (turn) {
    meta.push(h('span', { class: 'muted' }, `turn ${turn.index} · ${turn.role} · ${turn.completion_tokens} tokens · ${fmtMs(turn.duration_ms)}`));
    for (const f of turn.flags ?? []) meta.push(h('span', { class: `chip flag-${f}` }, f));
  }
  if (m.role === 'tool') {
    const call = all.flatMap((x) => x.tool_calls ?? []).find((c) => c.id === m.tool_call_id);
    meta.push(h('span', { class: 'muted' }, `result of ${m.name ?? call?.name ?? 'tool'}${m.tool_call_id ? ` (${m.tool_call_id})` : ''}`));
  }
  return h(
    'div',
    { class: `msg role-${role}` },
    h('div', { class: 'msg-head' }, icon(ROLE_ICON[role]), h('span', { class: 'role' }, m.role), ...meta),
    thinking !== null ? thinkingFold(thinking, nth) : null,
    said ? pre(said) : h('div', { class: 'muted empty' }, '(empty)'),
    turn?.format_error ? h('div', { class: 'format-error' }, icon('warning'), ' format error: ', turn.format_error) : null,
    ...(m.tool_calls ?? []).map((c) => h('div', { class: 'tool-call' }, h('div', { class: 'tool-call-head' }, icon('symbol-method'), ' ', h('span', { class: 'tool-name' }, c.name), h('span', { class: 'muted' }, ` ${c.id}`)), pre(json(c.arguments), 'json'))),
  );
}

function tokenView(r: TranscriptRecord, turns: Map<number, TurnRecord>, mode: 'logprob' | 'advantage'): HTMLElement {
  const root = h('div', { class: 'tokens' });
  const legend = h(
    'div',
    { class: 'legend' },
    mode === 'logprob'
      ? 'Background: probability of each sampled token under the rollout policy (red low, green high). '
      : r.role_advantages
        ? `Background: the advantage of each turn's role (${Object.entries(r.role_advantages).map(([k, v]) => `${k} ${fmtNum(v)}`).join(', ')}; green positive, red negative). `
        : `Background: the rollout's advantage ${fmtNum(r.advantage ?? null)} (green positive, red negative). `,
    h('span', { class: 'masked' }, 'Dimmed'),
    ': loss-masked (prompts, tool results), not trained on.',
  );
  // A complete rollout that no update used (evaluation, debugging, a dropped zero-variance group).
  const untrained = r.advantage !== undefined && !(r.phase === 'train' && (r.advantage !== null || r.role_advantages));
  if (untrained) legend.append(h('div', { class: 'untrained' }, r.phase === 'train' ? 'This rollout\'s group was dropped (no advantage): none of its tokens were trained on.' : `A ${r.phase ?? ''} rollout: none of its tokens were trained on.`));
  root.append(legend);
  r.messages.forEach((m, i) => {
    const turn = turns.get(i);
    const block = h('div', { class: `tok-msg role-${m.role}` }, h('div', { class: 'msg-head' }, icon(ROLE_ICON[m.role] ?? 'account'), h('span', { class: 'role' }, m.role)));
    if (m.role === 'assistant' && turn?.tokens?.length) {
      const body = h('div', { class: 'tok-body' });
      turn.tokens.forEach((piece, k) => {
        const lp = turn.logprobs?.[k];
        const paint = mode === 'logprob' ? (lp === undefined ? null : logprobPaint(lp)) : advantagePaint(turnAdvantage(r, turn.role));
        const span = h('span', { class: untrained ? 'tok masked' : 'tok' }, showWhitespace(piece));
        if (paint) span.style.background = paint.background;
        span.title = `${JSON.stringify(piece)}${turn.token_ids?.[k] !== undefined ? ` · id ${turn.token_ids[k]}` : ''}${lp !== undefined ? ` · logprob ${lp.toFixed(3)} · p ${Math.exp(lp).toFixed(3)}` : ''}`;
        body.append(span);
      });
      block.append(body);
    } else if (m.role === 'assistant') {
      block.append(h('div', { class: 'muted' }, 'no sampled tokens recorded for this turn'), pre(m.content));
    } else {
      block.append(pre(m.content, 'masked'));
    }
    root.append(block);
  });
  return root;
}

function judge(r: TranscriptRecord): HTMLElement {
  const parts = Object.entries(r.parts ?? {});
  return section(
    'Judge',
    'law',
    parts.length
      ? h('table', { class: 'parts' }, h('thead', null, h('tr', null, h('th', null, 'part'), h('th', null, 'value'))), h('tbody', null, ...parts.map(([k, v]) => h('tr', null, h('td', null, k), h('td', { class: 'num' }, fmtNum(v))))), h('tfoot', null, h('tr', null, h('td', null, 'reward'), h('td', { class: 'num' }, fmtNum(r.reward)))))
      : null,
    r.judge?.error ? h('div', { class: 'error-text' }, icon('error'), ' judge error: ', r.judge.error) : null,
    r.judge?.stack ? pre(r.judge.stack, 'stack') : null,
    explanation(r.judge?.details),
    r.judge?.details !== undefined ? h('details', { class: 'details' }, h('summary', null, 'details'), pre(json(r.judge.details), 'json')) : null,
  );
}

interface SideExplained {
  extracted: string | null;
  normalized: string | null;
  from: string | null;
}

/** A built-in verdict (its `details`, or `details.rule` of `builtin:llm_judge`) in words: what was read from each side, and why it decided. */
function explanation(details: unknown): HTMLElement | null {
  const d = details as { method?: unknown; gold?: SideExplained; pred?: SideExplained; rule?: unknown } | undefined;
  const v = d && typeof d.method === 'string' && d.gold && d.pred ? d : (d?.rule as typeof d);
  if (!v || typeof v.method !== 'string' || !v.gold || !v.pred) return null;
  const x = v as { method: string; why?: string; correct?: boolean; undecided?: boolean; steps?: { gold: string[]; pred: string[] }; gold: SideExplained; pred: SideExplained };
  const side = (label: string, s: SideExplained, steps: string[] | undefined) =>
    h(
      'div',
      { class: 'tx-meta' },
      kv(label, s.extracted ?? '(none)'),
      kv('found by', s.from ?? '—'),
      kv('normal form', s.normalized ?? '—'),
      steps?.length ? kv('clean-up', steps.join(', ')) : null,
    );
  const verdict = x.undecided ? 'undecided' : x.correct ? 'correct' : 'wrong';
  return h(
    'div',
    { class: 'explanation' },
    h('div', { class: 'tx-meta' }, kv('verdict', verdict), kv('decided by', x.method), x.why ? kv('why', x.why) : null),
    side('reference', x.gold, x.steps?.gold),
    side('answer', x.pred, x.steps?.pred),
  );
}

function timings(r: TranscriptRecord): HTMLElement {
  const t = r.timings;
  return section(
    'Timings',
    'watch',
    t ? h('div', { class: 'tx-meta' }, kv('total', fmtMs(t.duration_ms)), kv('model', fmtMs(t.model_ms)), kv('tools', fmtMs(t.tool_ms)), kv('judge', fmtMs(t.judge_ms)), r.tokens ? kv('tokens', `${r.tokens.prompt} prompt · ${r.tokens.completion} completion`) : null) : null,
    r.turns?.length
      ? h(
          'table',
          { class: 'turns' },
          h('thead', null, h('tr', null, ...['turn', 'role', 'prompt', 'completion', 'duration', 'flags'].map((c) => h('th', null, c)))),
          h('tbody', null, ...r.turns.map((x) => h('tr', null, h('td', null, String(x.index)), h('td', null, x.role), h('td', { class: 'num' }, String(x.prompt_tokens)), h('td', { class: 'num' }, String(x.completion_tokens)), h('td', { class: 'num' }, fmtMs(x.duration_ms)), h('td', null, (x.flags ?? []).join(', '))))),
        )
      : null,
  );
}
