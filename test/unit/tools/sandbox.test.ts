// The python sandbox under attack, in every tier this machine can produce, as root and as an
// ordinary user (a trainer started by uid 4243, simulated by starting the sandbox as that
// user), with user namespaces denied (refusing `unshare` and `bwrap` first on PATH, or only
// `unshare`, as where an AppArmor profile allows bwrap alone) and with Landlock off. Strong tiers must block every attack; weak ones must be refused under `strict`. The
// suite prints a table of tier × attack.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPython } from '../../../trainer/src/tools/python';
import { chooseSandbox, detectSandbox, probeTier } from '../../../trainer/src/tools/sandbox/probe';
import { killUid } from '../../../trainer/src/tools/sandbox/run';
import { pythonInfo, STRONG_TIERS, TIERS, type Sandbox, type SandboxEnv, type Tier } from '../../../trainer/src/tools/sandbox/tiers';
import { MODEL, serve, type Served } from '../serve/fixtures';
import { ATTACKS, breaches, LOOK, PLANT, type Targets } from './attacks';

const USER = { uid: 4243, gid: 4243 };
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';
const LIMITS = { disk_mb: 32, shm_mb: 8 };

interface Identity {
  name: string;
  asUser?: { uid: number; gid: number };
}

/** One identity's planted targets: a fake home, a workspace, a socket and a "trainer" process holding a secret. */
class Fixture {
  readonly dir: string;
  readonly secret = `s3cret-${process.pid}-${Math.random().toString(36).slice(2)}`;
  private victim?: ChildProcess;
  private socket?: Server;
  private abstract?: Server;
  constructor(
    root: string,
    readonly who: Identity,
  ) {
    this.dir = join(root, who.name);
    const own = (p: string) => who.asUser && chownSync(p, who.asUser.uid, who.asUser.gid);
    const home = join(this.dir, 'home');
    for (const d of [this.dir, home, join(home, '.ssh'), join(this.dir, 'workspace'), join(this.dir, 'workspace/runs/r1')]) {
      mkdirSync(d, { recursive: true });
      own(d);
    }
    chmodSync(home, 0o700);
    const files: [string, string, number][] = [
      ['home/.ssh/id_rsa', '-----BEGIN KEY----- secret', 0o600],
      ['home/.bashrc', 'export PATH\n', 0o644],
      ['workspace/tasks.jsonl', '{"question": "2+2", "answer": "4"}\n', 0o644],
      ['workspace/runs/r1/rollouts.jsonl', '{"answer": "4"}\n', 0o644],
    ];
    for (const [p, text, mode] of files) {
      writeFileSync(join(this.dir, p), text, { mode });
      own(join(this.dir, p));
    }
  }
  async start(tag: number): Promise<Targets> {
    const sock = join(this.dir, 'agent.sock');
    this.socket = createServer((c) => c.end('hello')).listen(sock);
    const abstractName = `agent-tune-attack-${process.pid}-${tag}`;
    this.abstract = createServer((c) => c.end('hello')).listen('\0' + abstractName);
    await Promise.all([this.socket, this.abstract].map((s) => new Promise((r) => s.once('listening', r))));
    if (this.who.asUser) chownSync(sock, this.who.asUser.uid, this.who.asUser.gid);
    chmodSync(sock, 0o600);
    this.victim = spawn('/bin/sh', ['-c', 'sleep 600', `victim-${tag}`], { uid: this.who.asUser?.uid, gid: this.who.asUser?.gid, env: { AGENT_TUNE_TEST_SECRET: this.secret }, stdio: 'ignore' });
    const victim = this.victim;
    return {
      secret: this.secret,
      home: join(this.dir, 'home'),
      workspace: join(this.dir, 'workspace'),
      unixSocket: sock,
      abstractSocket: abstractName,
      servePort: 0,
      victimPid: victim.pid!,
      tag,
      alive: () => victim.exitCode === null && victim.signalCode === null,
    };
  }
  async stop(): Promise<void> {
    this.victim?.kill('SIGKILL');
    await Promise.all([this.socket, this.abstract].map((s) => new Promise((r) => (s ? s.close(r) : r(null)))));
  }
}

/** Runs `items` with at most `n` at once. */
async function pool<T, R>(items: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]);
      }
    }),
  );
  return out;
}

describe('python sandbox: attack suite', function () {
  this.timeout(300_000);
  if (process.platform !== 'linux') return;
  const root = mkdtempSync(join(tmpdir(), 'agent-tune-attack-'));
  chmodSync(root, 0o755);
  const stub = join(root, 'stub');
  mkdirSync(stub);
  writeFileSync(join(stub, 'unshare'), '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n', { mode: 0o755 });
  writeFileSync(join(stub, 'bwrap'), '#!/bin/sh\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n', { mode: 0o755 });
  const noUserns = `${stub}:${SYSTEM_PATH}`;
  const onlyBwrap = join(root, 'only-bwrap');
  mkdirSync(onlyBwrap);
  writeFileSync(join(onlyBwrap, 'unshare'), '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n', { mode: 0o755 });
  const isRoot = process.getuid?.() === 0;
  const identities: Identity[] = isRoot ? [{ name: 'root' }, { name: `user ${USER.uid}`, asUser: USER }] : [{ name: `user ${process.getuid?.()}` }];
  const table: string[][] = [];
  let server: Served;
  let tag = 0;

  before(async () => {
    process.env.AGENT_TUNE_TEST_SECRET = 'trainer-secret';
    server = await serve([MODEL, '--port', '0']);
  });
  after(async () => {
    delete process.env.AGENT_TUNE_TEST_SECRET;
    await server?.stop();
    // The weak tiers leak by design (the table says what): end what their daemons left running
    // as the suite's own user, so it does not outlive the suite.
    if (process.getuid?.() !== USER.uid) killUid(USER.uid);
    for (const f of readdirSync('/dev/shm').filter((n) => n.startsWith('agent-tune-attack-') || n === 'planted-by-another-call')) rmSync(join('/dev/shm', f), { force: true });
    for (const d of ['/tmp', '/var/tmp']) {
      for (const f of readdirSync(d).filter((n) => n.startsWith('agent-tune-attack-') || n === 'planted-by-another-call')) {
        try {
          rmSync(join(d, f), { recursive: true, force: true });
        } catch (e) {
          // A non-root run cannot remove what the simulated root rows left; say so and go on.
          console.log(`      left ${join(d, f)}: ${(e as Error).message}`);
        }
      }
    }
    const names = ATTACKS.map((a) => a.name).concat('cross-call planting');
    const rows = [['attack', ...names], ...table];
    const widths = rows.map((col) => Math.max(...col.map((c) => c.length)));
    for (let i = 0; i < rows[0].length; i++) console.log(`      ${rows.map((col, j) => col[i].padEnd(widths[j])).join(' | ')}`);
    console.log('      (blocked: nothing got through; LEAK: what got through)\n');
  });

  for (const who of identities) {
    const env: SandboxEnv = who.asUser ? { asUser: who.asUser, path: SYSTEM_PATH } : {};
    describe(who.name, () => {
      const fixture = new Fixture(root, who);
      after(() => fixture.stop());

      it('uses the strongest tier; strict takes it only if it is strong', () => {
        const s = detectSandbox('python3', env);
        console.log(`      best tier: ${s.tier}${Object.keys(s.refused).length ? ` (refused: ${JSON.stringify(s.refused)})` : ''}`);
        if (STRONG_TIERS.includes(s.tier)) assert.equal(chooseSandbox('strict', 'python3', env).tier, s.tier);
        else assert.throws(() => chooseSandbox('strict', 'python3', env), /no sandbox on this machine keeps model-written code/);
      });

      it('without user namespaces, falls back to Landlock where the kernel has it, and says why', () => {
        const s = detectSandbox('python3', { ...env, path: noUserns });
        assert.ok(!['namespaces', 'bwrap'].includes(s.tier), s.tier);
        assert.match(s.refused.namespaces!, /Operation not permitted/);
        assert.match(s.refused.bwrap!, /No permissions to create new namespace/);
        const landlock = probeTier('landlock', pythonInfo('python3', env), env);
        assert.equal(s.tier === 'landlock', typeof landlock !== 'string', `landlock probe: ${typeof landlock === 'string' ? landlock : 'works'}`);
      });

      it('with user namespaces denied to unshare only, uses bwrap where it is installed and works', () => {
        const s = detectSandbox('python3', { ...env, path: `${onlyBwrap}:${SYSTEM_PATH}` });
        const bwrap = probeTier('bwrap', pythonInfo('python3', env), env);
        console.log(`      bwrap: ${typeof bwrap === 'string' ? bwrap : 'works'}`);
        assert.equal(s.tier === 'bwrap', typeof bwrap !== 'string', `bwrap probe: ${typeof bwrap === 'string' ? bwrap : 'works'}`);
        if (typeof bwrap === 'string') assert.equal(s.refused.bwrap, bwrap);
      });

      it('without user namespaces or Landlock, strict refuses with what would enable a tier', () => {
        const weak = { ...env, path: noUserns, noLandlock: true };
        assert.throws(() => chooseSandbox('strict', 'python3', weak), /no sandbox on this machine keeps model-written code.*user namespaces.*Landlock.*sandbox: best/s);
        const best = chooseSandbox('best', 'python3', weak);
        assert.ok(!STRONG_TIERS.includes(best.tier));
      });

      for (const tier of TIERS.filter((t): t is Exclude<Tier, 'off'> => t !== 'off')) {
        it(`${tier}: ${STRONG_TIERS.includes(tier) ? 'blocks every attack' : 'is weak: strict refuses it; what leaks is listed'}`, async function () {
          const probed = probeTier(tier, pythonInfo('python3', env), env);
          if (typeof probed === 'string') {
            table.push([`${who.name}/${tier}`, ...ATTACKS.map(() => 'unavailable'), 'unavailable']);
            console.log(`      ${tier} is not available here: ${probed}`);
            this.skip();
          }
          const sandbox = probed as Sandbox;
          const targets = await fixture.start(++tag);
          targets.servePort = server.port;
          const run = (code: string, timeoutMs = 5000) => runPython(code, { timeoutMs, sandbox, ...LIMITS });
          let found: string[][];
          try {
            found = await pool(ATTACKS, 3, async (a) => {
              const r = await run(a.code(targets), a.timeoutMs);
              await new Promise((res) => setTimeout(res, 100));
              return [...breaches(r), ...(a.check?.(targets, r) ?? [])];
            });
            const [, look] = await Promise.all([run(PLANT), run(LOOK)]);
            const later = await run(LOOK.replace('time.sleep(1.5)', ''));
            found.push([...breaches(look), ...breaches(later)]);
          } finally {
            await fixture.stop();
          }
          table.push([`${who.name}/${tier}`, ...found.map((f) => (f.length ? `LEAK: ${f[0]}`.slice(0, 32) : 'blocked'))]);
          if (STRONG_TIERS.includes(tier)) {
            const leaks = found.flatMap((f, i) => f.map((x) => `${ATTACKS[i]?.name ?? 'cross-call'}: ${x}`));
            assert.deepEqual(leaks, []);
          }
        });
      }
    });
  }
});
