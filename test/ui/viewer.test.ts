// The run viewer rendered in Debian's Chromium: the panel's real HTML, CSP and bundle, fed by a
// real RunSource reading fixture runs. Screenshots go to test-results/viewer/ (CI artifacts).
import * as assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { resultsDir } from '../host/paths';
import { makeRun, writeRollout } from '../fixtures/make-run';
import { ViewerHarness, type ViewerPage } from './harness';

const shots = join(resultsDir, 'viewer');
const HOSTILE = [
  '<script>window.__pwned = "script"</script>',
  '<img src=x onerror="window.__pwned = \'img\'">',
  '</div></div><div id="injected">escaped the container</div>',
  '<a href="javascript:window.__pwned = \'link\'" id="jslink">click me</a>',
  '<style>body { display: none }</style>',
];

describe('run viewer in Chromium', function () {
  this.timeout(120_000);
  const h = new ViewerHarness();
  let tmp: string;
  let v: ViewerPage | undefined;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    await h.start();
  });
  after(async () => h.stop());
  beforeEach(() => (tmp = mkdtempSync(join(tmpdir(), 'viewer-ui-'))));
  afterEach(async () => {
    await v?.close();
    v = undefined;
    rmSync(tmp, { recursive: true, force: true });
  });

  async function openFixture(opts: Parameters<typeof makeRun>[1] = {}, theme: 'dark' | 'light' | 'high-contrast' = 'dark') {
    const f = makeRun(tmp, { steps: 4, tasksPerStep: 3, groupSize: 4, evalEvery: 2, ...opts });
    f.writer.close();
    v = await h.open(f.dir, { theme });
    await v.page.waitForSelector('.tr.data');
    return f;
  }

  it('shows rows grouped by step and task, a transcript, metrics and the eval heatmap', async () => {
    const f = await openFixture();
    const { page } = v!;
    await page.waitForFunction(() => document.querySelector('.shown')?.textContent?.startsWith('48 of 48'));
    assert.equal(await page.locator('.tr.head-step').first().locator('.hlabel').textContent(), 'Step 1');
    await page.locator('.tr.data').first().click();
    await page.waitForSelector('.transcript .msg.role-tool');
    assert.equal(await page.locator('.transcript').getAttribute('data-id'), f.ids[0]);
    assert.match((await page.locator('.transcript .tool-call pre').first().textContent()) ?? '', /"expression": "\d+ \* \d+"/);
    await page.screenshot({ path: join(shots, 'rollouts-dark.png') });
    await page.getByRole('button', { name: 'Tokens' }).click();
    assert.ok((await page.locator('.tok').count()) > 10);
    // Assistant tokens are coloured; prompts and tool results are dimmed as loss-masked.
    assert.ok((await page.locator('.tok-msg.role-assistant .tok[style*="background"]').count()) > 10);
    assert.ok((await page.locator('.tok-msg.role-tool pre.masked').count()) >= 1);
    const trained = (await page.locator('.transcript .kv', { hasText: 'advantage' }).textContent())?.includes('–') === false;
    assert.equal(await page.locator('.tok.masked').count() > 0, !trained, 'tokens of a rollout without advantage are dimmed');
    await page.screenshot({ path: join(shots, 'tokens-dark.png') });
    await page.locator('button[data-tab=metrics]').click();
    await page.waitForSelector('.chart canvas');
    assert.ok((await page.locator('.chart[data-title="Reward (mean ± std)"] canvas').count()) >= 1);
    assert.ok((await page.locator('.chart[data-title="Eval pass@k"] canvas').count()) >= 1);
    await page.screenshot({ path: join(shots, 'metrics-dark.png') });
    await page.locator('button[data-tab=eval]').click();
    await page.waitForFunction(() => (document.querySelector('.heatmap .muted')?.textContent ?? '').startsWith('12 tasks × 2 evaluations'));
    await page.screenshot({ path: join(shots, 'eval-dark.png') });
    assert.deepEqual(v!.incidents, []);
  });

  it('overlays the metrics of another run of the same config, growing as that run writes them', async () => {
    const f = makeRun(tmp, { name: 'math-agent', steps: 4 });
    f.writer.close();
    const other = makeRun(tmp, { name: 'math-agent', steps: 2, seed: 5, live: true });
    v = await h.open(f.dir, { compareWith: other.dir });
    const { page } = v;
    const label = page.locator('.metrics .toolbar .muted');
    await page.locator('button[data-tab=metrics]').click();
    await page.getByRole('button', { name: 'Compare with run…' }).click();
    const reward = page.locator('.chart[data-title="Reward (mean ± std)"]');
    // Both runs are "math-agent": the folders (<time>-<name>, then -2) tell them apart.
    await reward.locator('.u-legend', { hasText: `reward_mean (${basename(other.dir)})` }).waitFor();
    assert.equal(await label.textContent(), `solid: ${basename(f.dir)} · dashed: ${basename(other.dir)}, to step 2`);
    assert.notEqual(basename(f.dir), basename(other.dir));
    // The other run is still training: its new steps join the overlay without asking again.
    for (const step of [3, 4, 5]) other.writer.metric({ step, kind: 'train', metrics: { reward_mean: 0.1 * step, success_rate: 0.5 } });
    await page.waitForFunction(() => document.querySelector('.metrics .toolbar .muted')?.textContent?.endsWith('to step 5'));
    await page.screenshot({ path: join(shots, 'compare-dark.png') });
    other.writer.close();
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.waitForFunction(() => !document.querySelector('.u-legend')?.textContent?.includes('(20261122'));
    assert.equal(await label.textContent(), '');
    assert.equal(v.fromWebview.filter((m) => m.type === 'compare').length, 1);
  });

  it('picks chart axes that show the data: a flat series, a single evaluation', async () => {
    const f = makeRun(tmp, { steps: 3, evalEvery: 3 });
    for (const step of [1, 2, 3]) f.writer.metric({ step, kind: 'train', metrics: { clip_fraction: 0, kl_flat: 0.02 } });
    f.writer.close();
    v = await h.open(f.dir);
    const { page } = v;
    await page.locator('button[data-tab=metrics]').click();
    const range = async (title: string, axis: 'x' | 'y') => (await page.locator(`.chart[data-title="${title}"]`).getAttribute(`data-${axis}`))?.split(',').map(Number);
    await page.locator('.chart[data-title="clip_fraction"][data-y]').waitFor();
    assert.deepEqual(await range('clip_fraction', 'y'), [0, 1], 'all zero: 0 to 1, not 0 to 100');
    const flat = (await range('kl_flat', 'y'))!;
    assert.ok(flat[0] < 0.02 && flat[1] > 0.02 && flat[1] - flat[0] <= 1, `a flat series sits inside its range: ${flat}`);
    assert.deepEqual(await range('Eval pass@k', 'x'), [2, 4], 'one evaluation at step 3: steps 2 to 4');
    const pass = (await range('Eval pass@k', 'y'))!;
    assert.ok(pass[1] - pass[0] < 50, `one evaluation: a range around its values, not 0–100%: ${pass}`);
    await page.screenshot({ path: join(shots, 'axes-dark.png') });
  });

  for (const theme of ['light', 'high-contrast'] as const) {
    it(`draws with the ${theme} theme's colours`, async () => {
      await openFixture({}, theme);
      const { page } = v!;
      await page.locator('.tr.data').nth(2).click();
      await page.waitForSelector('.transcript');
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, theme === 'light' ? 'rgb(255, 255, 255)' : 'rgb(0, 0, 0)');
      await page.screenshot({ path: join(shots, `rollouts-${theme}.png`) });
    });
  }

  it('moves the selection with the keyboard and folds groups', async () => {
    await openFixture();
    const { page } = v!;
    await page.locator('.tr.data').first().click();
    const selected = () => page.locator('.tr[aria-selected=true]').getAttribute('aria-rowindex');
    const start = Number(await selected());
    await page.keyboard.press('ArrowDown');
    assert.equal(Number(await selected()), start + 1);
    await page.keyboard.press('Home');
    assert.equal(Number(await selected()), 1);
    const before = await page.locator('.table').getAttribute('aria-rowcount');
    await page.keyboard.press('Enter'); // on the "Step 1" header: fold it
    await page.waitForFunction((n) => document.querySelector('.table')?.getAttribute('aria-rowcount') !== n, before);
    assert.equal(await page.locator('.tr.head-step').first().getAttribute('aria-expanded'), 'false');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((n) => document.querySelector('.table')?.getAttribute('aria-rowcount') === n, before);
    await page.keyboard.press('End');
    assert.equal(Number(await selected()), Number(before));
  });

  it('groups the rollouts of a mixed task set by source, and keeps the choice after a reload', async () => {
    const f = await openFixture({ sources: ['gsm8k', 'math'] });
    const { page } = v!;
    await page.getByLabel('grouping').selectOption('source');
    await page.waitForSelector('.tr.head-source');
    assert.deepEqual(await page.locator('.tr.head-source .hlabel').allTextContents(), ['gsm8k', 'math']);
    // Each source's header counts its own rollouts: 48 in all, split between the two.
    const counts = (await page.locator('.tr.head-source .hstats').allTextContents()).map((t) => Number(/^(\d+) rollouts/.exec(t)![1]));
    assert.equal(counts.reduce((a, b) => a + b, 0), 48);
    assert.ok(counts.every((n) => n > 0));
    await page.screenshot({ path: join(shots, 'group-by-source.png') });
    const state = await page.evaluate(() => new Promise((r) => setTimeout(() => r((window as unknown as { __agentTuneState(): unknown }).__agentTuneState()), 300)));
    await v!.close();
    v = await h.open(f.dir, { state });
    await v.page.waitForSelector('.tr.head-source');
    assert.equal(await v.page.getByLabel('grouping').inputValue(), 'source');
  });

  it('filters failed rollouts and searches inside transcripts on the host', async () => {
    const f = await openFixture();
    const { page } = v!;
    await page.getByLabel('Failed only').check();
    await page.waitForFunction(() => [...document.querySelectorAll('.tr.data .c-success')].every((c) => c.textContent === '✗'));
    await page.getByLabel('Failed only').uncheck();
    await page.getByLabel('search transcripts').fill('crate holds 68 boxes');
    await page.getByLabel('search transcripts').press('Enter');
    await page.waitForFunction(() => /^\d+ match/.test(document.querySelector('.search-state')?.textContent ?? ''));
    const expected = f.ids.filter((id) => id.includes('-t4-')).length;
    await page.waitForFunction((n) => document.querySelector('.shown')?.textContent?.startsWith(`${n} of 48`), expected);
    assert.ok(v!.fromWebview.some((m) => m.type === 'search' && m.query === 'crate holds 68 boxes'));
  });

  it('applies number filters as they are typed, and shows their whole placeholders', async () => {
    await openFixture();
    const { page } = v!;
    await page.waitForFunction(() => document.querySelector('.shown')?.textContent?.startsWith('48 of 48'));
    await page.getByLabel('step ≥').pressSequentially('3');
    // No Enter, no Tab: the table follows the typing.
    await page.waitForFunction(() => document.querySelector('.shown')?.textContent?.startsWith('24 of 48'));
    const cut = await page.locator('.num-input').evaluateAll((inputs) =>
      (inputs as HTMLInputElement[]).flatMap((i) => {
        const cs = getComputedStyle(i);
        const ctx = document.createElement('canvas').getContext('2d')!;
        ctx.font = `${cs.fontSize} ${cs.fontFamily}`;
        // The text box is the content width less Chromium's spin buttons (about 15 px).
        const room = i.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 15;
        return ctx.measureText(i.placeholder).width > room ? [`${i.placeholder}: ${ctx.measureText(i.placeholder).width} > ${room}`] : [];
      }),
    );
    assert.deepEqual(cut, []);
    await page.locator('.filters').screenshot({ path: join(shots, 'filters-dark.png') });
  });

  it('comes back with its filters and selection after a reload', async () => {
    const f = await openFixture();
    await v!.page.getByLabel('reward ≥').fill('1');
    await v!.page.getByLabel('reward ≥').press('Tab');
    await v!.page.locator('.tr.data').nth(1).click();
    await v!.page.waitForSelector('.transcript');
    const state = await v!.page.evaluate(() => new Promise((r) => setTimeout(() => r((window as unknown as { __agentTuneState(): unknown }).__agentTuneState()), 300)));
    const selectedId = await v!.page.locator('.transcript').getAttribute('data-id');
    await v!.close();
    v = await h.open(f.dir, { state });
    await v.page.waitForSelector('.transcript');
    assert.equal(await v.page.locator('.transcript').getAttribute('data-id'), selectedId);
    assert.equal(await v.page.getByLabel('reward ≥').inputValue(), '1');
    assert.ok(await v.page.locator('.tr.data .c-reward').evaluateAll((cells) => cells.every((c) => Number(c.textContent) >= 1)));
  });

  it('shows markup from a run as text and runs none of it', async () => {
    const f = makeRun(tmp, { steps: 1, tasksPerStep: 1, groupSize: 2, inject: HOSTILE });
    // Hostile text in the fields the table, the log and the charts show, too.
    f.writer.emit({ type: 'log', level: 'warn', message: HOSTILE.join(' ') });
    f.writer.metric({ step: 1, kind: 'train', metrics: { [HOSTILE[1]]: 1 } });
    f.writer.rollout({ ...JSON.parse(JSON.stringify({ id: 'evil', step: 1, phase: 'train', task_id: HOSTILE[0], group_id: HOSTILE[2], sample: 0, question: HOSTILE[3], reference: HOSTILE[1], final_answer: HOSTILE[2], reward: 0, parts: { [HOSTILE[0]]: 0 }, success: false, advantage: null, tool_calls: 1, tokens: { prompt: 1, completion: 1 }, flags: [], timings: { started: 0, duration_ms: 1, model_ms: 1, tool_ms: 0, judge_ms: 0 }, judge: { details: { html: HOSTILE[1] }, error: HOSTILE[0] }, turns: [{ index: 0, role: 'agent', message_index: 1, prompt_tokens: 1, completion_tokens: 2, tokens: [HOSTILE[0], HOSTILE[1]], logprobs: [-0.1, -2], flags: [], duration_ms: 1 }], messages: [{ role: 'user', content: HOSTILE[3] }, { role: 'assistant', content: HOSTILE.join('\n'), tool_calls: [{ id: HOSTILE[1], name: HOSTILE[0], arguments: { code: HOSTILE[0] } }] }, { role: 'tool', name: HOSTILE[2], tool_call_id: HOSTILE[1], content: HOSTILE[1] }] })) });
    f.writer.close();
    v = await h.open(f.dir);
    const { page } = v;
    await page.waitForSelector('.tr.data');
    await page.locator('.tr.data', { hasText: 'script' }).first().click();
    await page.waitForSelector('.transcript[data-id=evil] .msg.role-tool');
    const text = (await page.locator('.transcript').textContent()) ?? '';
    for (const s of HOSTILE) assert.ok(text.includes(s), `shown literally: ${s}`);
    await page.getByRole('button', { name: 'Tokens' }).click();
    await page.waitForSelector('.tok');
    assert.equal(await page.locator('.tok').first().textContent(), HOSTILE[0]);
    await page.locator('button[data-tab=log]').click();
    assert.ok(((await page.locator('.log').textContent()) ?? '').includes(HOSTILE[4]));
    await page.locator('button[data-tab=metrics]').click();
    await page.waitForSelector('.chart canvas');
    await page.locator('button[data-tab=rollouts]').click();
    // Click where a link would be: nothing navigates, nothing runs.
    await page.locator('.transcript pre', { hasText: 'click me' }).first().click();
    await page.waitForTimeout(300);
    const probe = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: string }).__pwned ?? null,
      injected: document.querySelectorAll('#injected, #jslink').length,
      scripts: document.querySelectorAll('script').length,
      imgs: document.querySelectorAll('img').length,
      links: document.querySelectorAll('a').length,
      styles: document.querySelectorAll('style').length,
      visible: getComputedStyle(document.body).display,
      url: location.pathname,
    }));
    assert.deepEqual(probe, { pwned: null, injected: 0, scripts: 1, imgs: 0, links: 0, styles: 0, visible: 'block', url: '/viewer.html' });
    assert.deepEqual(v.incidents, []);
    await page.screenshot({ path: join(shots, 'security.png') });
  });

  it('folds each turn\'s thinking above its answer, from a live rollout\'s events and from its line', async () => {
    const f = makeRun(tmp, { steps: 1, tasksPerStep: 1, groupSize: 1, thinking: true, live: true });
    v = await h.open(f.dir);
    const { page } = v;
    await page.waitForFunction(() => document.querySelector('.shown')?.textContent?.startsWith('1 of 1'));
    // Written to events.jsonl only: the transcript comes from the host's fold of the events.
    const r = writeRollout(f.writer, f.rng, { step: 2, task: 9, sample: 0, thinking: true }, { turnEvents: true });
    await page.locator('.tr.data', { hasText: 'arith-9' }).click();
    await page.waitForSelector('.transcript .badge.live');
    const folds = page.locator('.msg.role-assistant details.thinking');
    assert.equal(await folds.count(), 2);
    assert.deepEqual(await folds.evaluateAll((ds) => ds.map((d) => (d as HTMLDetailsElement).open)), [false, false]);
    assert.match((await folds.first().locator('summary').textContent()) ?? '', /^ Thinking \(\d+ chars\)$/);
    assert.match((await folds.first().locator('pre').textContent()) ?? '', /^I need \d+ times \d+\. Let me use the calculator\.$/);
    assert.ok(!(await page.locator('.msg.role-assistant > pre').first().textContent())?.includes('<think>'), 'the answer is shown without the block');
    await folds.nth(1).locator('summary').click();
    await page.screenshot({ path: join(shots, 'thinking.png') });
    // The line arrives: the transcript is drawn again from it, and the opened fold stays open.
    f.writer.rollout(r);
    await page.waitForSelector('.transcript .badge.live', { state: 'detached' });
    assert.deepEqual(await folds.evaluateAll((ds) => ds.map((d) => (d as HTMLDetailsElement).open)), [false, true]);
    f.writer.close();
    assert.deepEqual(v.incidents, []);
  });

  it('opens a corrupt, truncated run with a clear message and the rows it could read', async () => {
    const f = makeRun(tmp, { steps: 1, tasksPerStep: 1, groupSize: 3 });
    f.writer.close();
    appendFileSync(join(f.dir, 'rollouts.jsonl'), 'not json at all\n{"id": "torn", "ste');
    v = await h.open(f.dir);
    const { page } = v;
    await page.waitForSelector('.problems li');
    const problems = (await page.locator('.problems').textContent()) ?? '';
    assert.match(problems, /rollouts\.jsonl:4 line 4 is not valid JSON/);
    assert.match(problems, /last line is incomplete/);
    await page.waitForFunction(() => document.querySelector('.shown')?.textContent?.startsWith('3 of 3'));
    await page.screenshot({ path: join(shots, 'corrupt.png') });
  });

  it('adds rows of a live run as they are written', async () => {
    const f = makeRun(tmp, { steps: 1, tasksPerStep: 1, groupSize: 2, live: true });
    v = await h.open(f.dir);
    await v.page.waitForFunction(() => document.querySelector('.shown')?.textContent?.startsWith('2 of 2'));
    const r = writeRollout(f.writer, f.rng, { step: 2, task: 9, sample: 0 }, { turnEvents: true });
    await v.page.waitForFunction(() => document.querySelector('.shown')?.textContent?.startsWith('3 of 3'));
    f.writer.rollout(r);
    f.writer.emit({ type: 'run_finished', duration_ms: 1 });
    await v.page.waitForFunction(() => document.querySelector('.run-header .badge')?.textContent?.includes('finished'));
    f.writer.close();
  });

  it('a stopped run says so, with its progress, and its unfinished rollouts cut off, not running', async () => {
    const f = makeRun(tmp, { steps: 1, tasksPerStep: 1, groupSize: 2, totalSteps: 3, live: true });
    v = await h.open(f.dir);
    const { page } = v;
    await page.waitForFunction(() => document.querySelector('.run-header .progress')?.textContent?.startsWith('step 1/3'));
    f.writer.emit({ type: 'step_started', step: 2, task_ids: ['t'] });
    for (const sample of [0, 1]) f.writer.emit({ type: 'rollout_started', rollout_id: `open-${sample}`, step: 2, phase: 'train', task_id: 't', group_id: 'g2', sample, question: 'q' });
    await page.waitForFunction(() => /^step 2\/3 · \d+s\/step · \d+s left/.test(document.querySelector('.run-header .progress')?.textContent ?? ''));
    await page.waitForFunction(() => document.body.textContent?.includes('2 running'));
    f.writer.emit({ type: 'run_stopped', signal: 'SIGTERM', duration_ms: 5 });
    await page.waitForFunction(() => document.querySelector('.run-header .badge')?.textContent?.includes('stopped'));
    await page.waitForFunction(() => document.querySelectorAll('.tr.data.stopped').length === 2);
    assert.ok(!(await page.locator('body').textContent())?.includes('2 running'), 'nothing is left running');
    assert.match((await page.locator('.tr.head-group', { hasText: 'cut off' }).first().textContent()) ?? '', /2 cut off/);
    assert.deepEqual(await page.locator('.tr.data.stopped .c-success').allTextContents(), ['■', '■']);
    assert.doesNotMatch((await page.locator('.run-header .progress').textContent()) ?? '', /left/, 'no time left once stopped');
    await page.screenshot({ path: join(shots, 'stopped.png') });
    await page.locator('button[data-tab=log]').click();
    await page.waitForFunction(() => document.body.textContent?.includes('run stopped by the user (SIGTERM)'));
    f.writer.close();
    assert.deepEqual(v.incidents, []);
  });
});
