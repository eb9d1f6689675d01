// `agent-tune sandbox`, the report the editor's status bar shows, run as a real process: on this
// machine as it is, and on a simulated machine without user namespaces or Landlock (a seccomp
// filter that the CLI and everything it starts inherit refuses both, as Docker's default profile
// and an old kernel do).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { detectSandbox } from '../../../trainer/src/tools/sandbox/probe';
import type { SandboxReport } from '../../../trainer/src/tools/sandbox/report';
import { STRONG_TIERS, which } from '../../../trainer/src/tools/sandbox/tiers';
import { BIN, ROOT, tempConfig } from '../../support/cli';

const WEAK_KERNEL = join(ROOT, 'test', 'support', 'weak-kernel.py');
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';

const config = (sandbox: string) => `name: sandbox-report
tasks: { train: { path: builtin:arith/train } }
tools:
  - ref: builtin:python
    options: { sandbox: ${sandbox} }
`;

function cli(args: string[], weak = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const command = weak ? ['python3', WEAK_KERNEL, process.execPath] : [process.execPath];
  const child = spawn(command[0], [...command.slice(1), BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const report = (stdout: string) => JSON.parse(stdout) as SandboxReport;

describe('agent-tune sandbox: the tier report (real processes)', function () {
  this.timeout(120_000);
  const files: string[] = [];
  const make = (sandbox: string) => {
    const f = tempConfig('sandbox-report', config(sandbox));
    files.push(f);
    return f;
  };
  after(() => files.forEach((f) => rmSync(dirname(f), { recursive: true, force: true })));

  it('reports the tier the trainer would use on this machine', async () => {
    const r = await cli(['--json', 'sandbox']);
    const got = report(r.stdout);
    const expected = detectSandbox();
    assert.equal(got.tier, expected.tier);
    assert.equal(got.mode, 'strict');
    assert.equal(got.strong, STRONG_TIERS.includes(expected.tier));
    assert.equal(got.accepted, got.strong);
    assert.equal(r.code, got.accepted ? 0 : 1);
    assert.deepEqual(got.refused, expected.refused);
    if (got.strong) assert.deepEqual([got.open, got.enable], [[], []]);
    const human = await cli(['sandbox']);
    assert.match(human.stdout, new RegExp(`^python sandbox: ${got.accepted ? got.tier : 'REFUSED'}`));
  });

  it('says OFF for sandbox: off, and what the machine has', async () => {
    const r = await cli(['--json', 'sandbox', make('off')]);
    assert.equal(r.code, 0, r.stderr);
    const got = report(r.stdout);
    assert.deepEqual([got.tier, got.mode, got.strong, got.accepted, got.blocks], ['off', 'off', false, true, []]);
    assert.equal(got.available, detectSandbox().tier);
    assert.match(got.line, /OFF: model-written code runs with your permissions/);
    assert.ok(got.open.includes('network') && got.open.includes('host-files'));
  });

  it('names the file and option of a bad setting', async () => {
    const f = make('sometimes');
    const r = await cli(['--json', 'sandbox', f]);
    assert.equal(r.code, 2);
    assert.match(JSON.parse(r.stderr).error, /sandbox-report\.tune\.yaml: tools\[0\]: builtin:python options\.sandbox: must be equal to one of the allowed values/);
    assert.equal(r.stdout, '');
  });

  describe('without user namespaces or Landlock', function () {
    before(function () {
      if (process.platform !== 'linux' || arch() !== 'x64') this.skip();
    });

    it('strict refuses: exit 1, why each strong tier failed and what would enable one', async () => {
      const r = await cli(['--json', 'sandbox'], true);
      assert.equal(r.code, 1);
      const got = report(r.stdout);
      assert.deepEqual([got.tier, got.mode, got.strong, got.accepted], ['seccomp', 'strict', false, false]);
      assert.match(got.refused!.namespaces, /Operation not permitted/);
      assert.match(got.refused!.landlock, /Landlock is not available/);
      assert.match(got.refused!.bwrap, which('bwrap', SYSTEM_PATH) ? /No permissions to create new namespace/ : /bubblewrap \(bwrap\) is not installed/);
      assert.ok(got.enable.some((h) => /user namespaces/.test(h)) && got.enable.some((h) => /Landlock/.test(h)));
      assert.deepEqual(got.open, ['host-files', 'other-calls', 'disk-quota', 'shm-quota']);
      assert.match(got.refusal!, /sandbox: best/);
      assert.match(got.line, /REFUSED/);
    });

    it('best accepts the weak tier and still says what would make it strong', async () => {
      const r = await cli(['--json', 'sandbox', make('best')], true);
      assert.equal(r.code, 0, r.stderr);
      const got = report(r.stdout);
      assert.deepEqual([got.tier, got.mode, got.strong, got.accepted, got.refusal], ['seccomp', 'best', false, true, undefined]);
      assert.match(got.line, /WEAK/);
      assert.ok(got.enable.length > 0);
    });
  });
});
