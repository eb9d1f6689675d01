// `execute_python_code`: model-written Python, the most hostile input the trainer runs, in a
// sandbox whose tier is probed once at start-up (sandbox/tiers.ts; docs/tools.md says what
// each tier blocks). Every call gets a fresh folder, a clean environment, resource limits, a
// wall-clock timeout that ends every process it started, and an output cap.
import type { SandboxRecord } from '../run/events';
import { chooseSandbox, describeSandbox } from './sandbox/probe';
import { sandboxRecord } from './sandbox/report';
import { runSandboxed, type SandboxRun } from './sandbox/run';
import type { Sandbox, SandboxEnv, SandboxMode } from './sandbox/tiers';
import { PYTHON_TOOL } from './schemas';
import type { Tool, ToolOutput, ToolRunOptions } from './tool';

export interface PythonOptions {
  /** The interpreter. */
  python: string;
  /** Address-space limit, MiB. */
  memory_mb: number;
  /** CPU-time limit, seconds; defaults to the call's wall-clock limit. */
  cpu_s?: number;
  /** Most processes and threads the code may have at once. */
  max_processes: number;
  /** Characters of stdout and stderr returned to the model. */
  max_output_chars: number;
  /** Largest file the code may write, MiB. */
  file_size_mb: number;
  /** Most the code may write in all (its folder and /tmp), MiB. */
  disk_mb: number;
  /** Size of /dev/shm, MiB. */
  shm_mb: number;
  /** `strict` refuses to run without a strong sandbox, `best` takes the strongest there is, `off` (trusted tests only) none. */
  sandbox: SandboxMode;
}

export const PYTHON_DEFAULTS: PythonOptions = {
  python: 'python3',
  memory_mb: 1024,
  max_processes: 32,
  max_output_chars: 4000,
  file_size_mb: 16,
  disk_mb: 64,
  shm_mb: 16,
  sandbox: 'strict',
};

/** Printed-but-discarded output past which the program is stopped (a print loop, not a result). */
const DISCARD_LIMIT_BYTES = 8 << 20;

export const NO_OUTPUT_MESSAGE = '(no output: the code ran but printed nothing. Use print() to show the result.)';

export type PythonRun = SandboxRun;

/** The sandbox `builtin:python` with these options gets here; throws under `strict` when none is strong. */
export function pythonSandbox(options: Partial<PythonOptions> = {}, env: SandboxEnv = {}): Sandbox {
  const o: PythonOptions = { ...PYTHON_DEFAULTS, ...stripUndefined(options) };
  return chooseSandbox(o.sandbox, o.python, env);
}

/**
 * The sandbox of a config's `builtin:python`, for the run's records and the one line the CLI
 * prints; undefined when no tool is `builtin:python`. Throws, naming the fix, when `strict` refuses.
 */
export function configSandbox(tools: { ref: string; options?: Record<string, unknown> }[]): { record: SandboxRecord; line: string } | undefined {
  const tool = tools.find((t) => t.ref === 'builtin:python' || t.ref === 'python');
  if (!tool) return undefined;
  const options = (tool.options ?? {}) as Partial<PythonOptions>;
  const mode = options.sandbox ?? PYTHON_DEFAULTS.sandbox;
  const s = pythonSandbox(options);
  return { record: sandboxRecord(s, mode), line: describeSandbox(s) };
}

/** Runs `code` once under the sandbox; never throws for anything the code does. */
export async function runPython(
  code: string,
  opts: Omit<Partial<PythonOptions>, 'sandbox'> & { timeoutMs: number; signal?: AbortSignal; sandbox?: Sandbox | SandboxMode },
): Promise<PythonRun> {
  const { sandbox: given, timeoutMs, signal, ...limits } = opts;
  const o: PythonOptions = { ...PYTHON_DEFAULTS, ...stripUndefined(limits) };
  const sandbox = typeof given === 'object' ? given : chooseSandbox(given ?? o.sandbox, o.python);
  const cpu_s = Math.max(1, Math.ceil(o.cpu_s ?? timeoutMs / 1000));
  return runSandboxed(sandbox, code, {
    limits: { memory_mb: o.memory_mb, cpu_s, max_processes: o.max_processes, file_size_mb: o.file_size_mb, disk_mb: o.disk_mb, shm_mb: o.shm_mb },
    timeoutMs,
    maxOutputChars: o.max_output_chars,
    discardLimitBytes: DISCARD_LIMIT_BYTES,
    signal,
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What the model reads: stdout, then stderr, then why the program stopped. */
export function formatPythonResult(r: PythonRun, o: { timeoutMs: number; cpuSeconds: number; maxOutputChars: number }): ToolOutput {
  const parts: string[] = [];
  const stdout = r.stdout.replace(/\s+$/, '');
  const stderr = r.stderr.replace(/\s+$/, '');
  if (stdout) parts.push(stdout);
  if (stderr) parts.push(stdout ? `[stderr]\n${stderr}` : stderr);
  if (r.truncated) parts.push(`[output truncated: only the first ${o.maxOutputChars} characters of each stream are shown]`);
  let error = false;
  if (r.timedOut) {
    parts.push(`Error: the code ran longer than ${o.timeoutMs / 1000} s and was stopped.`);
    error = true;
  } else if (r.setupFailed) {
    parts.push(`Error: the sandbox could not start: ${r.setupFailed}`);
    error = true;
  } else if (r.quotaExceeded) {
    parts.push('Error: the code wrote more than its disk quota and was stopped.');
    error = true;
  } else if (r.flooded) {
    parts.push('Error: the code printed too much output and was stopped.');
    error = true;
  } else if (r.signal === 'SIGXCPU' || (r.signal === 'SIGKILL' && r.durationMs >= o.cpuSeconds * 1000)) {
    parts.push(`Error: the code used more than ${o.cpuSeconds} s of CPU time and was stopped.`);
    error = true;
  } else if (r.signal === 'SIGXFSZ') {
    parts.push('Error: the code wrote a file larger than the limit and was stopped.');
    error = true;
  } else if (r.signal) {
    parts.push(`Error: the process was killed by ${r.signal}.`);
    error = true;
  } else if (r.exitCode !== 0) {
    if (!stderr) parts.push(`Error: the code exited with status ${r.exitCode}.`);
    error = true;
  }
  if (parts.length === 0) return { content: NO_OUTPUT_MESSAGE, error: false };
  return { content: parts.join('\n'), error };
}

/** `builtin:python`: the `execute_python_code` tool with the given limits. */
export function pythonTool(options: Partial<PythonOptions> = {}): Tool & { sandbox: { tier: string; summary: string } } {
  const o: PythonOptions = { ...PYTHON_DEFAULTS, ...stripUndefined(options) };
  // Found now, at startup: a missing interpreter or a refused sandbox is a clear error before any rollout.
  const sandbox = pythonSandbox(o);
  return {
    schema: PYTHON_TOOL,
    sandbox: { tier: sandbox.tier, summary: describeSandbox(sandbox) },
    async run(args, { signal, timeoutMs }: ToolRunOptions) {
      const code = args.code;
      if (typeof code !== 'string') return { content: 'Error: execute_python_code needs a "code" argument with the Python source as a string.', error: true };
      if (!code.trim()) return { content: 'Error: the code is empty.', error: true };
      const cpuSeconds = Math.max(1, Math.ceil(o.cpu_s ?? timeoutMs / 1000));
      const r = await runPython(code, { ...o, timeoutMs, signal, sandbox });
      return formatPythonResult(r, { timeoutMs, cpuSeconds, maxOutputChars: o.max_output_chars });
    },
  };
}
