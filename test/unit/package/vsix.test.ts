// The packaged extension for this machine's platform: what it holds, and that its trainer runs
// from the install folder alone, with its own onnxruntime and esbuild, outside the repository.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../../support/cli';
import { hostTarget, packVsix, unpackVsix } from '../../support/vsix';

const ORT_PLATFORMS = ['linux/x64', 'linux/arm64', 'darwin/arm64', 'darwin/x64', 'win32/x64', 'win32/arm64'];

describe('the VSIX for this platform', function () {
  this.timeout(15 * 60_000);
  const target = hostTarget();
  let vsix: string;
  let ext: string;
  let workspace: string;

  before(function () {
    if (!target) {
      console.log(`      no VSIX is built for ${process.platform}-${process.arch}; skipped`);
      this.skip();
    }
    vsix = packVsix(target!);
    ext = unpackVsix(vsix);
    workspace = mkdtempSync(join(tmpdir(), 'agent-tune-user-'));
    cpSync(join(ROOT, 'examples', 'math-agent'), join(workspace, 'math-agent'), { recursive: true, filter: (s) => !s.includes('/runs') });
  });
  after(() => {
    for (const dir of [ext && dirname(ext), vsix && dirname(vsix), workspace]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the bundles, the trainer with its model, and only this platform\'s native binaries', () => {
    for (const f of ['dist/extension.js', 'dist/debugAdapter.js', 'dist/webview.js', 'dist/tune.schema.json', 'trainer/bin/agent-tune.js', 'trainer/dist/cli.js', 'trainer/dist/worker.js', 'trainer/dist/relay.js', 'trainer/dist/model-runner.js', 'trainer/models/tiny-math/onnx/model.onnx', 'media/icon.png', 'LICENSE.txt', 'changelog.md']) {
      assert.ok(existsSync(join(ext, f)), `${f} is in the VSIX`);
    }
    const ortBin = join(ext, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
    const present = ORT_PLATFORMS.filter((p) => existsSync(join(ortBin, p)));
    assert.deepEqual(present, [`${process.platform}/${process.arch}`]);
    assert.deepEqual(readdirSync(join(ext, 'node_modules', '@esbuild')), [target]);
    assert.ok(!existsSync(join(ext, 'node_modules', 'onnxruntime-node', 'script')), 'no install script');
    const manifest = JSON.parse(readFileSync(join(ext, 'package.json'), 'utf8'));
    assert.equal(manifest.scripts, undefined);
    assert.equal(manifest.devDependencies, undefined);
    assert.ok(!existsSync(join(ext, 'src')) && !existsSync(join(ext, 'test')), 'no sources or tests');
    assert.ok(statSync(vsix).size < 40 * 2 ** 20, `${vsix} is under 40 MiB`);
  });

  it('runs its own trainer on a workspace outside the repository: validate, then roll out and judge', () => {
    const env = { ...process.env, NODE_PATH: '' };
    const cli = join(ext, 'trainer', 'bin', 'agent-tune.js');
    const validate = spawnSync(process.execPath, [cli, 'validate', 'math-agent/math.tune.yaml'], { cwd: workspace, env, encoding: 'utf8' });
    assert.equal(validate.status, 0, validate.stderr);
    assert.match(validate.stdout, /math\.tune\.yaml: ok/);
    const debug = spawnSync(process.execPath, [cli, '--json', 'debug', 'math-agent/math.tune.yaml', '--tasks', '2'], { cwd: workspace, env, encoding: 'utf8', timeout: 5 * 60_000 });
    assert.equal(debug.status, 0, debug.stderr);
    const runs = join(workspace, 'math-agent', 'runs');
    const [run] = readdirSync(runs);
    const rows = readFileSync(join(runs, run, 'rollouts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(rows.length >= 2, `${rows.length} rollouts`);
    // The judge is the workspace's TypeScript, transpiled by the VSIX's own esbuild.
    for (const r of rows) assert.equal(typeof r.judge?.details?.used_calculator, 'boolean', 'judged by the workspace judge');
  });
});
