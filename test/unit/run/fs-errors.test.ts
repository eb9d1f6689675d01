// A run folder that cannot be written says why: read-only, full, or whose permission, with the
// path. Read-only and full file systems are made with tmpfs in a user and mount namespace;
// missing permission by writing as another user (as root) or into a folder without write access.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHILD = join(__dirname, 'fs-errors-child.ts');
const node = (dir: string) => [process.execPath, '-r', require.resolve('esbuild-register'), CHILD, dir];

function inNamespace(mount: string, dir: string): string | undefined {
  const sh = `mount -t tmpfs -o ${mount} none "$1" && shift && exec "$@"`;
  const r = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', sh, 'sh', dir, ...node(join(dir, 'runs'))], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

describe('run folder errors name the cause', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-tune-fs-'));
    chmodSync(dir, 0o755);
  });
  afterEach(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a read-only file system', function () {
    const out = inNamespace('ro,size=1m', dir);
    if (out === undefined) this.skip(); // no user namespaces here
    assert.match(out!, new RegExp(`^cannot write the run folder at ${dir}/runs/\\S+: ${dir} is on a read-only file system; choose another folder`));
  });

  it('a full disk', function () {
    const out = inNamespace('size=64k', dir);
    if (out === undefined) this.skip();
    assert.match(out!, /^cannot write the run file at \S+events\.jsonl: the disk is full \(0 MB free\); free some space, then continue the run with --resume \S+$/);
  });

  it('a folder without write permission', () => {
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) chmodSync(dir, 0o555);
    const [cmd, ...args] = node(join(dir, 'runs'));
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...(asRoot ? { uid: 4243, gid: 4243 } : {}) });
    assert.match(r.stdout.trim(), new RegExp(`^cannot write the run folder at ${dir}/runs/\\S+: permission denied on ${dir} \\(owned by uid \\d+, mode [57]55; you are uid \\d+\\)`));
  });
});
