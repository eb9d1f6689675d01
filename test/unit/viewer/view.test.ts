import * as assert from 'node:assert/strict';
import { buildView, compareRows, matchesFilter, NO_SOURCE, sourceKey, stats, stepKey, groupKey, ViewBuilder, type ViewOptions } from '../../../media/view';
import { emptyFilter, flagBits, type RowSummary } from '../../../src/viewer/protocol';

function row(p: Partial<RowSummary> & { id: string }): RowSummary {
  return { step: 1, phase: 'train', task: 't1', group: 'g1', sample: 0, reward: 1, success: true, adv: 0, turns: 2, tools: 1, tokens: 10, flags: 0, dur: 100, state: 'complete', ...p };
}

const rows: RowSummary[] = [
  row({ id: 'a', step: 2, group: 'g2', task: 't2', sample: 1, reward: 0.1, success: false, flags: flagBits(['format_error']) }),
  row({ id: 'b', step: 1, group: 'g1', task: 't1', sample: 0, reward: 1.1 }),
  row({ id: 'c', step: 1, group: 'g1', task: 't1', sample: 1, reward: 0.1, success: false }),
  row({ id: 'd', step: 1, group: 'g3', task: 't3', sample: 0, reward: 0.5, success: true, flags: flagBits(['tool_error', 'truncated']) }),
  row({ id: 'e', step: 2, group: 'g2', task: 't2', sample: 0, reward: null, success: null, state: 'running' }),
];
const opts: ViewOptions = { filter: emptyFilter(), searchIds: null, sort: { key: 'step', dir: 1 }, group: 'step', collapsed: new Set<string>() };

describe('viewer table view', () => {
  it('groups by step, then task group, with header stats', () => {
    const v = buildView(rows, opts);
    assert.deepEqual(v.map((r) => r.key), [stepKey(1), groupKey(1, 'g1'), 'b', 'c', groupKey(1, 'g3'), 'd', stepKey(2), groupKey(2, 'g2'), 'e', 'a']);
    const s1 = v[0];
    assert.equal(s1.kind, 'step');
    if (s1.kind === 'step') assert.deepEqual(s1.stats, { n: 3, scored: 3, running: 0, rewardMean: (1.1 + 0.1 + 0.5) / 3, ok: 2 });
    const g2 = v[7];
    if (g2.kind === 'group') assert.deepEqual({ n: g2.stats.n, scored: g2.stats.scored }, { n: 2, scored: 1 });
  });

  it('sorts rows inside groups and groups inside steps by the sort key', () => {
    const v = buildView(rows, { ...opts, sort: { key: 'reward', dir: -1 } });
    // Step 1: group g1 (mean 0.6) before g3 (0.5); inside g1, 1.1 before 0.1.
    assert.deepEqual(v.map((r) => r.key).slice(0, 6), [stepKey(1), groupKey(1, 'g1'), 'b', 'c', groupKey(1, 'g3'), 'd']);
    // Rows without a reward sort last in either direction.
    assert.deepEqual(v.map((r) => r.key).slice(-2), ['a', 'e']);
  });

  it('orders steps descending when sorting by step descending', () => {
    const v = buildView(rows, { ...opts, sort: { key: 'step', dir: -1 } });
    assert.equal(v[0].key, stepKey(2));
  });

  it('flat, ungrouped sort with stable tie-breaking', () => {
    const v = buildView(rows, { ...opts, group: 'none', sort: { key: 'reward', dir: 1 } });
    assert.deepEqual(v.map((r) => r.key), ['c', 'a', 'd', 'b', 'e']);
    const byFlags = buildView(rows, { ...opts, group: 'none', sort: { key: 'flags', dir: -1 } });
    assert.equal(byFlags[0].key, 'd');
  });

  it('groups by source, sources in natural order, with their stats, and folds a collapsed source', () => {
    const mixed = [
      row({ id: 'm1', source: 'math', reward: 0, success: false }),
      row({ id: 'g1', source: 'gsm8k', reward: 1 }),
      row({ id: 'm2', source: 'math', reward: 1, step: 2 }),
      row({ id: 'x', reward: 0.5 }),
      row({ id: 'g2', source: 'gsm8k', reward: 0.25, step: 3, success: false }),
    ];
    const v = buildView(mixed, { ...opts, group: 'source', sort: { key: 'reward', dir: -1 } });
    assert.deepEqual(v.map((r) => r.key), [sourceKey(NO_SOURCE), 'x', sourceKey('gsm8k'), 'g1', 'g2', sourceKey('math'), 'm2', 'm1']);
    const gsm = v[2];
    assert.equal(gsm.kind, 'source');
    if (gsm.kind === 'source') assert.deepEqual(gsm.stats, { n: 2, scored: 2, rewardMean: 0.625, ok: 1, running: 0 });
    const folded = buildView(mixed, { ...opts, group: 'source', collapsed: new Set([sourceKey('gsm8k')]) });
    assert.deepEqual(folded.map((r) => r.key), [sourceKey(NO_SOURCE), 'x', sourceKey('gsm8k'), sourceKey('math'), 'm1', 'm2']);
    // Filters apply before grouping: a source with no matching row has no header.
    const failed = buildView(mixed, { ...opts, group: 'source', filter: { ...emptyFilter(), failedOnly: true } });
    assert.deepEqual(failed.map((r) => r.key), [sourceKey('gsm8k'), 'g2', sourceKey('math'), 'm1']);
  });

  it('folds collapsed steps and groups', () => {
    const v = buildView(rows, { ...opts, collapsed: new Set([stepKey(1), groupKey(2, 'g2')]) });
    assert.deepEqual(v.map((r) => r.key), [stepKey(1), stepKey(2), groupKey(2, 'g2')]);
  });

  it('filters: failed only, flags, reward range, step range, phase, search ids', () => {
    const f = emptyFilter();
    const ids = (filter: typeof f, searchIds: Set<string> | null = null) => rows.filter((r) => matchesFilter(r, filter, searchIds)).map((r) => r.id);
    assert.deepEqual(ids({ ...f, failedOnly: true }), ['a', 'c']);
    assert.deepEqual(ids({ ...f, flags: flagBits(['truncated']) }), ['d']);
    assert.deepEqual(ids({ ...f, flags: flagBits(['truncated', 'format_error']) }), ['a', 'd']);
    assert.deepEqual(ids({ ...f, rewardMin: 0.2, rewardMax: 1 }), ['d']);
    assert.deepEqual(ids({ ...f, stepMin: 2 }), ['a', 'e']);
    assert.deepEqual(ids({ ...f, stepMax: 1 }), ['b', 'c', 'd']);
    assert.deepEqual(ids({ ...f, phase: 'eval' }), []);
    assert.deepEqual(ids(f, new Set(['c', 'e'])), ['c', 'e']);
  });

  it('compareRows puts nulls last in both directions', () => {
    const up = [...rows].sort(compareRows('adv', 1));
    const withNull = row({ id: 'z', adv: null });
    assert.equal([...up, withNull].sort(compareRows('adv', 1)).at(-1)!.id, 'z');
    assert.equal([...up, withNull].sort(compareRows('adv', -1)).at(-1)!.id, 'z');
  });

  it('stats of an empty group', () => {
    assert.deepEqual(stats([]), { n: 0, scored: 0, running: 0, rewardMean: null, ok: 0 });
  });

  it('rows cut off by the end of the run are not counted as running', () => {
    const s = stats([row({ id: 'a', reward: null, success: null, state: 'running' }), row({ id: 'b', reward: null, success: null, state: 'stopped' }), row({ id: 'c', reward: 1, success: true })]);
    assert.deepEqual([s.n, s.scored, s.running], [3, 1, 1]);
  });

  it('incremental builds equal full builds as rows arrive, change step and options change', () => {
    const vb = new ViewBuilder();
    const key = (o: ViewOptions) => JSON.stringify([o.sort, o.group, [...o.collapsed]]);
    for (const r of rows.slice(0, 3)) vb.upsert(r);
    assert.deepEqual(vb.build(opts, key(opts)), buildView(rows.slice(0, 3), opts));
    for (const r of rows.slice(3)) vb.upsert(r);
    vb.upsert({ ...rows[1], reward: 0 });
    const now = [rows[0], { ...rows[1], reward: 0 }, ...rows.slice(2)];
    assert.deepEqual(vb.build(opts, key(opts)), buildView(now, opts));
    // A row that moves to another step leaves its old one.
    vb.upsert({ ...rows[2], step: 2 });
    const moved = [rows[0], { ...rows[1], reward: 0 }, { ...rows[2], step: 2 }, ...rows.slice(3)];
    assert.deepEqual(vb.build(opts, key(opts)), buildView(moved, opts));
    const other: ViewOptions = { ...opts, sort: { key: 'reward', dir: -1 } };
    assert.deepEqual(vb.build(other, key(other)), buildView(moved, other));
    const flat: ViewOptions = { ...opts, group: 'none' };
    assert.deepEqual(vb.build(flat, key(flat)), buildView(moved, flat));
    assert.equal(vb.size, 5);
    assert.ok(vb.has('e'));
    vb.clear();
    assert.deepEqual(vb.build(opts, key(opts)), []);
  });

  it('builds the view of 100k rows quickly enough to redraw on live updates', () => {
    const many: RowSummary[] = [];
    for (let i = 0; i < 100_000; i++) many.push(row({ id: `r${i}`, step: Math.floor(i / 1000), group: `g${Math.floor(i / 8)}`, sample: i % 8, reward: (i * 7919) % 11 / 10 }));
    const v = buildView(many, { ...opts, sort: { key: 'reward', dir: -1 } });
    assert.equal(v.filter((r) => r.kind === 'row').length, 100_000);
    assert.equal(v.filter((r) => r.kind === 'group').length, 12_500);
  });
});
