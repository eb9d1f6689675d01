// The trainer as a package, as a user gets it: `npm pack` in trainer/, `npm install` of the
// tarball into an empty folder outside the repository, then `npx agent-tune run` on a copy of
// the math-agent example, shrunk to a couple of steps. Nothing of the repository is reachable
// from that folder, so every module the trainer needs at run time must come with the package.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import ts from 'typescript';
import { parse, stringify } from 'yaml';
import { readAll } from '../../../trainer/src/run/reader';
import type { MetricsRow, RolloutRecord, RunEvent } from '../../../trainer/src/run/events';
import { npmChildEnv } from '../../support/npm';

const repo = resolve(__dirname, '../../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/**
 * onnxruntime-node's install script would download CUDA libraries; the CPU build it ships needs
 * none of them. The npm cache and registry settings stay, so `--prefer-offline` installs from the
 * cache `npm ci` filled.
 */
const userEnv = (): NodeJS.ProcessEnv => ({ ...npmChildEnv(), ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_update_notifier: 'false' });

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out }));
  });
}

async function ok(command: string, args: string[], cwd: string): Promise<string> {
  const r = await run(command, args, cwd);
  assert.equal(r.code, 0, `${command} ${args.join(' ')} in ${cwd} failed:\n${r.out}`);
  return r.out;
}

describe('the trainer as a package: npm pack, npm install, npx agent-tune run', function () {
  this.timeout(600_000);
  let dir: string;
  let app: string;

  before(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'agent-tune-pack-')));
    assert.ok(!dir.startsWith(repo + sep), `${dir} must be outside the repository`);
    app = join(dir, 'app');
    mkdirSync(app);
    const out = await ok(npm, ['pack', '--pack-destination', dir], join(repo, 'trainer'));
    const packed = readdirSync(dir).filter((f) => /^agent-tune-.*\.tgz$/.test(f));
    assert.equal(packed.length, 1, `npm pack wrote one agent-tune-*.tgz:\n${out}`);
    const tarball = join(dir, packed[0]);
    // `npm init -y` would write this; it keeps npm from looking for a project above the folder.
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'math-agent', private: true }, null, 2));
    await ok(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
    cpSync(join(repo, 'examples/math-agent'), app, { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('installs a copy of the trainer, not a link into the repository', () => {
    const installed = realpathSync(join(app, 'node_modules/agent-tune'));
    assert.equal(installed, join(app, 'node_modules/agent-tune'));
    for (const part of ['bin/agent-tune.js', 'dist/cli.js', 'dist/index.js', 'types/index.d.ts', 'schema/tune.schema.json', 'models/tiny-math/config.json', 'tasks/arith/train.jsonl']) {
      assert.ok(existsSync(join(installed, part)), `the package lacks ${part}`);
    }
    assert.ok(!existsSync(join(installed, 'src')), 'the package ships its TypeScript sources');
  });

  it('trains the math-agent example with builtin:tiny-math', async () => {
    const config = parse(readFileSync(join(app, 'math.tune.yaml'), 'utf8'));
    assert.equal(config.model.path, 'builtin:tiny-math');
    // The same example, a few seconds long: two steps of two tasks, a small evaluation.
    config.name = 'math-agent-small';
    config.tasks.train.limit = 16;
    config.tasks.test.limit = 4;
    config.model.sampling.max_new_tokens = 32;
    Object.assign(config.rollout, { group_size: 2, parallel: 4, max_turns: 2 });
    Object.assign(config.train, { steps: 2, tasks_per_step: 2, eval_every: 0, save_every: 0, output_dir: 'runs' });
    Object.assign(config.eval, { samples: 1, k: [1] });
    writeFileSync(join(app, 'small.tune.yaml'), stringify(config));

    // --no: never fetch an `agent-tune` from the registry; only the installed one may run.
    const out = await ok(npx, ['--no', 'agent-tune', 'run', 'small.tune.yaml'], app);
    const runs = readdirSync(join(app, 'runs'));
    assert.equal(runs.length, 1, `one run directory, got ${runs.join(', ')}\n${out}`);
    const runDir = join(app, 'runs', runs[0]);
    assert.match(out, new RegExp(`trained 2 steps; run directory: .*${runs[0]}`));

    const events = (await readAll<RunEvent>(join(runDir, 'events.jsonl'))).records.map((r) => r.value);
    assert.equal(events.at(-1)?.type, 'run_finished');
    const metrics = (await readAll<MetricsRow>(join(runDir, 'metrics.jsonl'))).records.map((r) => r.value);
    assert.deepEqual(metrics.filter((m) => m.kind === 'train').map((m) => m.step), [1, 2]);
    const rollouts = (await readAll<RolloutRecord>(join(runDir, 'rollouts.jsonl'))).records.map((r) => r.value);
    const trained = rollouts.filter((r) => r.phase === 'train');
    assert.equal(trained.length, 2 * 2 * 2, 'steps × tasks per step × group size');
    assert.ok(trained.every((r) => Number.isFinite(r.reward) && r.turns.length > 0));
    const checkpoint = join(runDir, 'checkpoints/step-000002');
    for (const f of ['adapter_model.safetensors', 'adapter_config.json', 'trainer_state.json']) {
      assert.ok(existsSync(join(checkpoint, f)), `the final checkpoint lacks ${f}`);
    }
  });

  it('gives the judge its types: `npm install -D agent-tune` type-checks the example with tsc', () => {
    // Both programs parse the same declaration files; parse each once.
    const parsed = new Map<string, ts.SourceFile | undefined>();
    const host = ts.createCompilerHost({});
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, language, ...rest) => {
      const key = `${file}\0${typeof language === 'object' ? language.impliedNodeFormat : ''}`;
      if (!parsed.has(key)) parsed.set(key, getSourceFile(file, language, ...rest));
      return parsed.get(key);
    };
    for (const [module, moduleResolution] of [
      [ts.ModuleKind.Preserve, ts.ModuleResolutionKind.Bundler],
      [ts.ModuleKind.NodeNext, ts.ModuleResolutionKind.NodeNext],
    ] as const) {
      // Library declarations are checked too (no skipLibCheck): the package's types must resolve
      // everything they import from its own dependencies.
      const program = ts.createProgram([join(app, 'judge.ts')], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module, moduleResolution, types: [] }, host);
      const problems = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
      assert.deepEqual(problems, []);
      assert.ok(program.getSourceFile(join(app, 'node_modules/agent-tune/types/sdk.d.ts')), 'agent-tune resolved to the installed package');
    }
  });
});
