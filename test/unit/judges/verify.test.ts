import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { verifyStream } from '../../../trainer/src/commands/verify';

const ROOT = resolve(__dirname, '../../..');

async function verify(lines: string[], judge = 'builtin:math', options?: string, explain = false): Promise<{ out: Record<string, unknown>[]; summary: unknown }> {
  const sink = new PassThrough();
  const chunks: string[] = [];
  sink.on('data', (c) => chunks.push(String(c)));
  const summary = await verifyStream(Readable.from(lines.map((l) => l + '\n')), sink, { judge, options, explain });
  return { out: chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), summary };
}

describe('agent-tune verify', function () {
  this.timeout(30_000);

  it('prints a verdict a line with the extracted and normalised answers', async () => {
    const { out, summary } = await verify([
      JSON.stringify({ gold: '\\frac{1}{2}', pred: 'The answer is 0.5.' }),
      JSON.stringify({ gold: '#### 1,234', pred: 'so \\boxed{1235}' }),
    ]);
    assert.deepEqual(out[0], {
      line: 1,
      gold: '\\frac{1}{2}',
      pred: 'The answer is 0.5.',
      correct: true,
      method: 'numeric',
      extracted: { gold: '\\frac{1}{2}', pred: '0.5' },
      normalized: { gold: '1 / 2', pred: '0.5' },
      found_by: { gold: 'whole', pred: 'answer_is' },
    });
    assert.equal(out[1].correct, false);
    assert.deepEqual(out[1].normalized, { gold: '1234', pred: '1235' });
    assert.deepEqual(summary, { lines: 2, correct: 1, invalid: 0, undecided: 0 });
  });

  it('--explain gives each side\'s extraction rule, clean-up and normal form, and the deciding comparison with its reason', async () => {
    const { out, summary } = await verify(
      [
        JSON.stringify({ gold: '[5, \\infty)', pred: 'So the solution set is \\(x \\geq 5\\).' }),
        JSON.stringify({ gold: '5', pred: 'The distance is $\\boxed{5\\text{ meters}}$' }),
        JSON.stringify({ gold: '\\frac{2}{3}', pred: 'Answer: 0.67' }),
      ],
      'builtin:math',
      undefined,
      true,
    );
    assert.deepEqual(out[0].explain, {
      gold: { extracted: '[5, \\infty)', rule: 'whole', cleanup: [], normal_form: '[5, ∞)' },
      pred: { extracted: 'x \\geq 5', rule: 'math_span', cleanup: [], normal_form: 'x >= 5' },
      decided_by: 'interval',
      why: 'both are [5, ∞)',
    });
    assert.deepEqual((out[1].explain as { pred: unknown }).pred, { extracted: '5\\text{ meters}', rule: 'boxed', cleanup: ['units'], normal_form: '5' });
    assert.equal((out[1].explain as { decided_by: string }).decided_by, 'string');
    assert.equal(out[2].undecided, true);
    assert.match((out[2].explain as { why: string }).why, /only after rounding to 2 places/);
    assert.deepEqual(summary, { lines: 3, correct: 2, invalid: 0, undecided: 1 });
  });

  it('reports bad lines in place and goes on', async () => {
    const { out, summary } = await verify(['{"gold": "1", "pred": "1"}', 'not json', '', '[1]', '{"gold": {}, "pred": "1"}', '{"gold": 2, "pred": 2}']);
    assert.deepEqual(
      out.map((o) => [o.line, o.correct ?? null, typeof o.error === 'string' ? (o.error as string).split(':')[0] : null]),
      [
        [1, true, null],
        [2, null, 'line 2'],
        [4, null, 'line 4'],
        [5, null, 'line 5'],
        [6, true, null],
      ],
    );
    assert.deepEqual(summary, { lines: 5, correct: 2, invalid: 3, undecided: 0 });
  });

  it('uses the judge named by --judge, with --options', async () => {
    const pair = JSON.stringify({ gold: 'Paris', pred: 'The answer is paris.' });
    assert.equal((await verify([pair], 'builtin:exact_match')).out[0].correct, true);
    assert.equal((await verify([pair], 'builtin:exact_match', '{"case_sensitive": true}')).out[0].correct, false);
    const near = JSON.stringify({ gold: '3.14159', pred: '3.1' });
    assert.equal((await verify([near], 'builtin:math', '{"tolerance": 0.02}')).out[0].correct, true);
  });

  it('names an unknown judge and bad options', async () => {
    await assert.rejects(verify(['{}'], 'builtin:nope'), /unknown built-in judge "builtin:nope"/);
    await assert.rejects(verify(['{}'], 'builtin:math', '{bad'), /--options: not JSON/);
  });

  it('runs a user judge', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-tune-verify-'));
    try {
      const file = join(dir, 'judge.ts');
      writeFileSync(
        file,
        `import { defineJudge } from 'agent-tune';\nexport const judge = defineJudge((input) => {\n  const ok = (input.final_answer ?? '').includes(input.task.reference);\n  return { reward: ok ? 1 : 0, is_success: ok, details: { seen: input.final_answer } };\n});\n`,
      );
      const { out } = await verify([JSON.stringify({ gold: '42', pred: 'it is 42' }), JSON.stringify({ gold: '42', pred: 'no' })], `${file}#judge`);
      assert.deepEqual(out[0], { line: 1, gold: '42', pred: 'it is 42', correct: true, reward: 1, details: { seen: 'it is 42' } });
      assert.equal(out[1].correct, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works as a command: stdin to stdout, exit status 2 when a line is bad', () => {
    const cli = join(ROOT, 'trainer', 'src', 'cli.ts');
    const run = (input: string) =>
      spawnSync(process.execPath, ['-r', 'esbuild-register', '-e', `require(${JSON.stringify(cli)}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`, 'verify', '--judge', 'builtin:gsm8k'], {
        cwd: ROOT,
        input,
        encoding: 'utf8',
      });
    const r = run('{"gold": "#### 18", "pred": "A: 18"}\nnope\n');
    assert.equal(r.status, 2, r.stderr);
    const [first, second] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(first.correct, true);
    assert.match(second.error, /^line 2: not a JSON object/);
    assert.match(r.stderr, /2 checked: 1 correct, 0 wrong, 1 invalid/);
  });
});
