// Rollouts of the OpenAI example through the real CLI against `agent-tune serve`: the whole
// path from config to run directory, with an API key that must never reach the disk.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutRecord } from '../../../trainer/src/run/events';
import { readAll } from '../../../trainer/src/run/reader';
import { ROOT, runCli, tempConfig } from '../../support/cli';
import { MODEL, serve, type Served } from './fixtures';

const SECRET = 'sk-agent-tune-test-0f9a7c31';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('rollouts against agent-tune serve (examples/math-agent/math.openai.tune.yaml)', function () {
  this.timeout(240_000);
  let server: Served;
  let config: string;
  const outs: string[] = [];

  before(async () => {
    server = await serve([MODEL, '--port', '0', '--api-key-env', 'AGENT_TUNE_SERVE_KEY'], { AGENT_TUNE_SERVE_KEY: SECRET });
    const example = readFileSync(join(ROOT, 'examples/math-agent/math.openai.tune.yaml'), 'utf8');
    const yaml = example
      .replaceAll('http://127.0.0.1:8000/v1', server.url)
      .replace('api_key_env: OPENAI_API_KEY', 'api_key_env: AGENT_TUNE_TEST_KEY')
      .replace('    model: tiny-math\n    rubric', '    model: tiny-math\n    api_key_env: AGENT_TUNE_TEST_KEY\n    rubric');
    assert.ok(yaml.includes(server.url) && yaml.match(/AGENT_TUNE_TEST_KEY/g)!.length === 2);
    config = tempConfig('openai', yaml);
  });
  after(async () => {
    await server?.stop();
    for (const d of outs) rmSync(d, { recursive: true, force: true });
  });

  async function debug(env: NodeJS.ProcessEnv) {
    const out = mkdtempSync(join(tmpdir(), 'agent-tune-openai-run-'));
    outs.push(out);
    const r = await runCli(['--json', 'debug', config, '--tasks', '4', '--output-dir', out], { env });
    assert.equal(r.code, 0, r.stderr);
    const runDir: string = JSON.parse(r.stdout.trim().split('\n').pop()!).run_dir;
    const rows = (await readAll<RolloutRecord>(join(runDir, 'rollouts.jsonl'))).records.map((x) => x.value);
    return { r, runDir, rows };
  }

  it('rolls out with the served model, records tokens, logprobs and usage per turn, and never writes the key', async () => {
    const { r, runDir, rows } = await debug({ AGENT_TUNE_TEST_KEY: SECRET });
    assert.equal(rows.length, 4 * 4);
    for (const row of rows) {
      // The tiny model is a poor grader: when the rule cannot read an answer, its reply may hold no verdict.
      if (row.error) assert.match(row.error.message, /^the grader \(openai:tiny-math\) gave no verdict/);
      assert.ok(row.turns.length >= 1);
      for (const t of row.turns) {
        assert.ok(t.prompt_tokens > 0 && t.completion_tokens > 0);
        assert.equal(t.logprobs?.length, t.completion_tokens);
        assert.equal(t.tokens?.length, t.completion_tokens);
        assert.equal(t.token_ids, undefined, 'a server gives no token ids');
      }
      assert.deepEqual(row.tokens, { prompt: row.turns.reduce((n, t) => n + t.prompt_tokens, 0), completion: row.turns.reduce((n, t) => n + t.completion_tokens, 0) });
    }
    assert.ok(rows.some((x) => x.final_answer !== null));
    assert.ok(rows.some((x) => (x.judge?.details as { decided_by?: string } | undefined)?.decided_by === 'math'), 'the math rule decided some');
    for (const f of filesUnder(runDir)) assert.ok(!readFileSync(f, 'utf8').includes(SECRET), `${f} holds the API key`);
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
  });

  it('records the failure on every rollout when the server refuses the key, and still finishes the run', async () => {
    const { rows } = await debug({ AGENT_TUNE_TEST_KEY: 'sk-wrong' });
    assert.equal(rows.length, 16);
    for (const row of rows) {
      assert.ok(row.flags.includes('workflow_error'));
      assert.match(row.error!.message, /\/v1\/chat\/completions failed: HTTP 401: missing or wrong API key.*\(check the API key in \$AGENT_TUNE_TEST_KEY\)/);
    }
  });
});
