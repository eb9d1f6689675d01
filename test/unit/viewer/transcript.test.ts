// The transcript's rendering in a real DOM: media/transcript.ts bundled as the webview bundles
// it and run in Chromium, whose HTML parser would turn model text into elements if it ever
// reached one. Skipped without Chromium, except under CI.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumPath, repoRoot } from '../../host/paths';
import type { TranscriptRecord } from '../../../src/viewer/protocol';

interface Fold {
  open: boolean;
  summary: string;
  text: string;
  elements: number;
  /** The message's children after the header, by tag and class. */
  order: string[];
  answer: string | null;
}

const RECORD: TranscriptRecord = {
  id: 'r1',
  messages: [
    { role: 'user', content: 'What is 6 * 7? <think>not a thought</think>' },
    { role: 'assistant', content: '<think>\nIs <b>bold</b> 42?\n</think>\n\nAnswer: 42' },
    { role: 'assistant', content: 'No thinking. Answer: 42' },
    // Cut off while thinking: the whole message is thought, and there is no answer.
    { role: 'assistant', content: '<think>\nStill going' },
  ],
};

describe('viewer transcript: thinking', function () {
  this.timeout(60_000);
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!existsSync(chromiumPath)) {
      if (process.env.CI) throw new Error(`no Chromium at ${chromiumPath}`);
      this.skip();
    }
    const bundle = await build({
      stdin: { contents: "import { renderTranscript } from './media/transcript'; (window as any).renderTranscript = renderTranscript;", resolveDir: repoRoot, loader: 'ts' },
      bundle: true, write: false, platform: 'browser', format: 'iife', target: 'es2022', logLevel: 'silent',
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
    await page.setContent('<!doctype html><body></body>');
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
  });
  after(async () => browser?.close());

  /** Renders the record (again) and reads each message's thinking fold. */
  function render(record: TranscriptRecord): Promise<(Fold | null)[]> {
    return page.evaluate((r) => {
      const noop = () => undefined;
      const el = (window as unknown as { renderTranscript(r: unknown, o: unknown): HTMLElement }).renderTranscript(r, { mode: 'messages', tokenMode: 'logprob', live: false, onMode: noop, onTokenMode: noop, onJudgeSource: noop, onRejudge: noop });
      document.body.replaceChildren(el);
      return [...el.querySelectorAll('.msg')].map((m) => {
        const d = m.querySelector('details.thinking') as HTMLDetailsElement | null;
        if (!d) return null;
        return {
          open: d.open,
          summary: d.querySelector('summary')!.textContent!.trim(),
          text: d.querySelector('pre')!.textContent!,
          elements: d.querySelectorAll('pre *').length,
          order: [...m.children].slice(1).map((c) => [c.tagName.toLowerCase(), ...c.classList].join('.')),
          answer: (m.querySelector(':scope > pre') as HTMLElement | null)?.textContent ?? null,
        };
      });
    }, record);
  }

  it('folds an assistant turn\'s leading <think> block, closed, as text, above the answer', async () => {
    const [user, thought, plain, cut] = await render(RECORD);
    assert.equal(user, null, 'a user message is never split');
    assert.equal(plain, null);
    assert.deepEqual(thought, {
      open: false,
      summary: `Thinking (${'Is <b>bold</b> 42?'.length} chars)`,
      text: 'Is <b>bold</b> 42?',
      elements: 0,
      order: ['details.thinking', 'pre.text'],
      answer: 'Answer: 42',
    });
    assert.equal(cut?.text, 'Still going');
    assert.deepEqual(cut?.order, ['details.thinking', 'div.muted.empty'], 'cut off: no answer after the fold');
    assert.equal(await page.locator('.msg.role-user pre').textContent(), RECORD.messages[0].content);
  });

  it('keeps a fold the reader opened open when the same rollout is drawn again, and not for another', async () => {
    await render(RECORD);
    await page.locator('details.thinking summary').first().click();
    // The fold's toggle event is a task of its own, after the click.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
    assert.equal((await render(RECORD))[1]?.open, true, 'a live transcript redrawn');
    // The rollout's line has the system message its live transcript lacked: still the same turn.
    const line = await render({ ...RECORD, messages: [{ role: 'system', content: 'Solve it.' }, ...RECORD.messages] });
    assert.deepEqual(line.map((f) => f?.open ?? null), [null, null, true, null, false]);
    assert.equal((await render({ ...RECORD, id: 'r2' }))[1]?.open, false);
    assert.equal((await render(RECORD))[1]?.open, false, 'back on the first: closed again');
  });
});
