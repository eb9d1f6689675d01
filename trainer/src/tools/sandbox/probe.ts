// Finding the strongest tier that works here, and refusing under `strict` when none is strong.
import { probeRun, type SandboxLimits } from './run';
import { pythonInfo, searchPath, STRONG_TIERS, TIER_BLOCKS, TIERS, which, type PythonInfo, type Sandbox, type SandboxEnv, type SandboxMode, type Tier } from './tiers';

const PROBE_LIMITS: SandboxLimits = { memory_mb: 512, cpu_s: 10, max_processes: 16, file_size_mb: 1, disk_mb: 1, shm_mb: 1 };

/** Runs the bootstrap's self-check under one tier: the tier works when it reports back. */
export function probeTier(tier: Tier, python: PythonInfo, env: SandboxEnv): Sandbox | string {
  const s: Sandbox = { tier, python, env, refused: {} };
  if (process.platform !== 'linux' && tier !== 'rlimits' && tier !== 'off') return `${tier} needs Linux`;
  if (tier === 'namespaces') {
    s.unshare = which('unshare', searchPath(env));
    if (!s.unshare) return 'unshare (util-linux) is not installed';
  }
  if (tier === 'bwrap') {
    s.bwrap = which('bwrap', searchPath(env));
    if (!s.bwrap) return 'bubblewrap (bwrap) is not installed';
  }
  const r = probeRun(s, PROBE_LIMITS);
  if (r.setupFailed) return r.setupFailed;
  if (r.status !== 0) return (r.stderr.trim().split('\n').pop() || `exit ${r.status}`).slice(0, 300);
  try {
    const report = JSON.parse(r.stdout) as { ok: boolean; landlock_abi: number | null };
    if (!report.ok) return 'the self-check failed';
    if (report.landlock_abi) s.landlockAbi = report.landlock_abi;
  } catch {
    return `unexpected self-check output: ${r.stdout.slice(0, 200)}`;
  }
  return s;
}

const found = new Map<string, Sandbox>();

/** The strongest tier that works on this machine, probed once per interpreter and machine view. */
export function detectSandbox(python = 'python3', env: SandboxEnv = {}): Sandbox {
  const key = JSON.stringify([python, env]);
  const known = found.get(key);
  if (known) return known;
  const info = pythonInfo(python, env);
  const refused: Sandbox['refused'] = {};
  for (const tier of TIERS) {
    if (tier === 'off') break;
    const r = probeTier(tier, info, env);
    if (typeof r !== 'string') {
      const s = { ...r, refused };
      found.set(key, s);
      return s;
    }
    refused[tier] = r;
  }
  throw new Error(`execute_python_code: ${info.executable} does not start under any sandbox: ${Object.entries(refused).map(([t, why]) => `${t}: ${why}`).join('; ')}`);
}

/** The sandbox a setting allows, or an error saying what would enable a strong one. */
export function chooseSandbox(mode: SandboxMode, python = 'python3', env: SandboxEnv = {}): Sandbox {
  if (mode === 'off') return { tier: 'off', python: pythonInfo(python, env), env, refused: {} };
  const s = detectSandbox(python, env);
  if (mode === 'strict' && !STRONG_TIERS.includes(s.tier)) throw new Error(refusal(s));
  return s;
}

/** What would give this machine a strong tier. */
export function enableHints(platform: string = process.platform): string[] {
  if (platform !== 'linux') return [`no sandbox tier exists on ${platform}; run the trainer on Linux (a VM or WSL2 will do)`];
  return [
    'allow unprivileged user namespaces (`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu 23.10 and later, `sysctl -w user.max_user_namespaces=15000`, or run without a seccomp profile that blocks them, as Docker\'s default does)',
    'or install bubblewrap (`bwrap`) where it may create user namespaces (setuid, or allowed by the AppArmor policy)',
    'or use a kernel with Landlock (Linux 5.13 or later with `landlock` in its `lsm=` list)',
  ];
}

/** Why `strict` refuses, and what would change that. */
export function refusal(s: Sandbox): string {
  const tried = Object.entries(s.refused)
    .map(([t, why]) => `${t} (${why})`)
    .join('; ');
  const hints = enableHints();
  return (
    `execute_python_code: no sandbox on this machine keeps model-written code from the network, other processes and your files ` +
    `(best available: ${s.tier}, which blocks only ${TIER_BLOCKS[s.tier].join(', ') || 'nothing'}; stronger tiers failed: ${tried || 'none tried'}). ` +
    `To get one, ${hints.join(', ')}. ` +
    'To accept weaker isolation knowingly, set `sandbox: best` in the options of builtin:python.'
  );
}

/** One line for logs and the CLI. */
export function describeSandbox(s: Sandbox): string {
  if (s.tier === 'off') return 'python sandbox: OFF: model-written code runs with your permissions, network and files (tools[].options.sandbox: off)';
  const weak = STRONG_TIERS.includes(s.tier) ? '' : ' (WEAK: sandbox: best accepted it)';
  const abi = s.landlockAbi ? ` ABI ${s.landlockAbi}` : '';
  return `python sandbox: ${s.tier}${abi}${weak}; blocks ${TIER_BLOCKS[s.tier].join(', ') || 'nothing'}`;
}
