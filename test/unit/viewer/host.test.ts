// Small host-side parts: flags, aggregation, CSP, run discovery, judge location, re-judge output.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLAGS } from '../../../trainer/src/run/events';
import { flagBits, flagNames, fromWire, newer, toWire, type HostMessage, type RowSummary } from '../../../src/viewer/protocol';
import { StepAggregator, mergeSteps } from '../../../src/viewer/aggregate';
import { contentSecurityPolicy, viewerHtml } from '../../../src/viewer/html';
import { describeRun, listRuns, runRootsFor } from '../../../src/runs/discover';
import { exportLine, locateJudge } from '../../../src/viewer/judgeSource';
import { runRejudge, summarise } from '../../../src/viewer/rejudge';
import { makeRun } from '../../fixtures/make-run';

const row = (p: Partial<RowSummary> & { id: string }): RowSummary => ({ step: 1, phase: 'train', task: 't', group: 'g', sample: 0, reward: 1, success: true, adv: null, turns: 1, tools: 0, tokens: 10, flags: 0, dur: 1, state: 'complete', ...p });

describe('viewer protocol helpers', () => {
  it('flag bits round-trip every flag and ignore unknown ones', () => {
    assert.deepEqual(flagNames(flagBits([...FLAGS, 'bogus'])), [...FLAGS]);
    assert.equal(flagBits(undefined), 0);
  });
  it('rows cross to the webview as columns and come back as they were, through JSON', () => {
    const rows = [
      row({ id: 'a', reward: null, success: null, state: 'running', dur: null }),
      row({ id: 'b', task: 't2', group: 'g2', adv: -0.123456789, source: 'gsm8k', flags: flagBits(['format_error']) }),
      row({ id: 'c', phase: 'eval', source: 'math' }),
      row({ id: 'd', task: 't2', group: 'g2', source: 'gsm8k' }),
    ];
    const wire = JSON.parse(JSON.stringify(toWire({ type: 'rows', rows })));
    assert.deepEqual(fromWire(wire), { type: 'rows', rows });
    assert.deepEqual(wire.columns.task, { values: ['t', 't2'], index: [0, 1, 0, 1] });
    const other: HostMessage = { type: 'loaded', rows: 4, ms: 1 };
    assert.equal(toWire(other), other);
  });
  it('row states only move forward', () => {
    assert.ok(newer('running', 'finished') && newer('finished', 'complete') && newer('complete', 'complete'));
    assert.ok(!newer('complete', 'running') && !newer('finished', 'running'));
  });
});

describe('viewer step aggregation', () => {
  it('computes the trainer\'s step metrics from rows; replacing rows', () => {
    const a = new StepAggregator();
    a.add(row({ id: '1', reward: 1, success: true, tokens: 10, tools: 1 }));
    a.add(row({ id: '2', reward: 0, success: false, tokens: 30, flags: flagBits(['format_error']) }));
    a.add(row({ id: '3', reward: null, success: null, state: 'running' }));
    a.add(row({ id: '4', phase: 'eval', reward: 5 }));
    let [s] = a.result();
    const pick = (m: Record<string, number>) => ({ reward_mean: m.reward_mean, reward_std: m.reward_std, success_rate: m.success_rate, response_len_mean: m.response_len_mean, tool_call_rate: m.tool_call_rate, format_error_rate: m.format_error_rate });
    assert.deepEqual(pick(s.metrics), { reward_mean: 0.5, reward_std: 0.5, success_rate: 0.5, response_len_mean: 20, tool_call_rate: 0.5, format_error_rate: 0.5 });
    a.add(row({ id: '2', reward: 1, success: true, tokens: 10, tools: 1 }));
    [s] = a.result();
    assert.deepEqual(pick(s.metrics), { reward_mean: 1, reward_std: 0, success_rate: 1, response_len_mean: 10, tool_call_rate: 1, format_error_rate: 0 });
  });
  it('logged metrics win key by key', () => {
    const merged = mergeSteps(new Map([[1, { reward_mean: 9, kl: 0.1 }]]), [{ step: 1, metrics: { reward_mean: 1, success_rate: 0.5 } }, { step: 2, metrics: { reward_mean: 2 } }]);
    assert.deepEqual(merged, [{ step: 1, metrics: { reward_mean: 9, success_rate: 0.5, kl: 0.1 } }, { step: 2, metrics: { reward_mean: 2 } }]);
  });
});

describe('viewer HTML', () => {
  it('allows only our resources and the nonce script', () => {
    const csp = contentSecurityPolicy('https://x.vscode-cdn.net', 'abc');
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, /script-src 'nonce-abc'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const html = viewerHtml({ cspSource: 'https://x', scriptUri: 'https://x/dist/webview.js', styleUri: 'https://x/dist/webview.css', title: 'a"<b>', nonce: 'n1' });
    assert.match(html, /<script nonce="n1" src="https:\/\/x\/dist\/webview.js"><\/script>/);
    assert.doesNotMatch(html, /onload|onclick|javascript:/i);
    assert.match(html, /<title>a&quot;&lt;b&gt;<\/title>/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
  });
});

describe('run discovery', () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'discover-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('finds runs/ and train.output_dir beside a config, newest run first, with their status', async () => {
    writeFileSync(join(tmp, 'a.tune.yaml'), 'name: a\ntrain:\n  output_dir: out/exp\n');
    assert.deepEqual(await runRootsFor(join(tmp, 'a.tune.yaml')), [join(tmp, 'runs'), join(tmp, 'out/exp')]);
    writeFileSync(join(tmp, 'b.tune.yaml'), 'name: [broken');
    assert.deepEqual(await runRootsFor(join(tmp, 'b.tune.yaml')), [join(tmp, 'runs')]);
    const done = makeRun(join(tmp, 'runs'), { name: 'done', steps: 1 });
    done.writer.close();
    const failed = makeRun(join(tmp, 'runs'), { name: 'failed', steps: 1, live: true });
    failed.writer.emit({ type: 'run_failed', message: 'out of memory' });
    failed.writer.close();
    const killed = makeRun(join(tmp, 'runs'), { name: 'killed', steps: 1, live: true });
    killed.writer.close();
    const stopped = makeRun(join(tmp, 'runs'), { name: 'stopped', steps: 1, live: true });
    stopped.writer.emit({ type: 'run_stopped', signal: 'SIGINT', duration_ms: 1 });
    stopped.writer.close();
    mkdirSync(join(tmp, 'runs', 'not-a-run'));
    const runs = await listRuns(join(tmp, 'runs'));
    assert.deepEqual(runs.map((r) => r.status).sort(), ['failed', 'finished', 'running', 'stopped']);
    assert.equal(runs.find((r) => r.status === 'stopped')!.message, 'stopped by the user (SIGINT)');
    assert.equal(runs.find((r) => r.status === 'failed')!.message, 'out of memory');
    // A run whose trainer is gone and that never ended is stopped.
    writeFileSync(join(killed.dir, 'events.jsonl'), JSON.stringify({ type: 'run_started', seq: 0, t: 1, format: 1, run_id: 'k', name: 'k', mode: 'train', config_file: 'x', pid: 2 ** 22 + 12345 }) + '\n');
    assert.equal((await describeRun(killed.dir)).status, 'stopped');
  });
});

describe('judge source and re-judge', () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'judge-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('resolves judge.ref against the config the run started from', async () => {
    const f = makeRun(tmp, { steps: 1 });
    f.writer.close();
    const where = await locateJudge(f.dir);
    assert.deepEqual(where, { kind: 'file', file: join(tmp, 'judge.ts'), symbol: 'judge', ref: './judge.ts#judge' });
    writeFileSync(join(f.dir, 'config.yaml'), 'judge:\n  ref: builtin:math\n');
    assert.deepEqual(await locateJudge(f.dir), { kind: 'builtin', ref: 'builtin:math' });
    writeFileSync(join(f.dir, 'config.yaml'), 'name: x\n');
    assert.equal((await locateJudge(f.dir)).kind, 'unknown');
  });

  it('finds the exported judge function', () => {
    const src = 'import x from "y";\n\nexport async function judge(input) {\n}\nexport const other = 1;\n';
    assert.equal(exportLine(src, 'judge'), 2);
    assert.equal(exportLine(src, 'other'), 4);
    assert.equal(exportLine(src, 'missing'), null);
  });

  it('reports the CLI error line, and a missing CLI', async () => {
    assert.equal(summarise('{"error":"`rejudge` is not available in this build of agent-tune yet"}\n'), '`rejudge` is not available in this build of agent-tune yet');
    assert.equal(summarise('agent-tune: boom\n'), 'boom');
    const r = await runRejudge(join(tmp, 'missing-cli.js'), tmp, () => undefined);
    assert.equal(r.ok, false);
    assert.match(r.message, /trainer CLI is missing/);
    // A real process that fails the way the CLI does.
    const cli = join(tmp, 'cli.js');
    writeFileSync(cli, 'process.stderr.write(JSON.stringify({error: "`rejudge` is not available in this build of agent-tune yet"}) + "\\n"); process.exit(1);');
    let streamed = '';
    const failed = await runRejudge(cli, tmp, (s) => (streamed += s));
    assert.deepEqual([failed.ok, failed.code, failed.message], [false, 1, '`rejudge` is not available in this build of agent-tune yet']);
    assert.match(streamed, /not available/);
  });

  it('runs the real trainer CLI and reports its verdict on a run', async () => {
    const f = makeRun(tmp, { steps: 1 });
    f.writer.close();
    const r = await runRejudge(join(__dirname, '..', '..', '..', 'trainer', 'bin', 'agent-tune.js'), f.dir, () => undefined);
    // The fixture's config.yaml is not a complete tune config: the CLI says so, naming the file.
    assert.equal(r.ok, false);
    assert.match(r.message, /config\.yaml/);
  });
});
