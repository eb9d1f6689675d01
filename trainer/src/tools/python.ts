// `execute_python_code`: model-written Python in a python3 subprocess, contained. Layers,
// strongest available first (probed once per process):
//   - when the trainer runs as root, the code runs as `nobody`, so it cannot touch the user's files;
//   - `unshare` puts it in fresh user, network and PID namespaces: no network at all, and
//     killing the namespace's first process takes every descendant with it;
//   - resource limits set before the code starts: address space, CPU seconds, processes,
//     file size; an audit hook refuses sockets where no network namespace could be made, and
//     new processes where the code would run as root (RLIMIT_NPROC does not bind root);
//   - a wall-clock timeout that kills the whole process group, an output cap, and a fresh
//     temporary folder removed afterwards. The environment is minimal: no trainer secrets.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
}

export const PYTHON_DEFAULTS: PythonOptions = {
  python: 'python3',
  memory_mb: 1024,
  max_processes: 32,
  max_output_chars: 4000,
  file_size_mb: 16,
};

/** Printed-but-discarded output past which the program is stopped (a print loop, not a result). */
const DISCARD_LIMIT_BYTES = 8 << 20;

export const NO_OUTPUT_MESSAGE = '(no output: the code ran but printed nothing. Use print() to show the result.)';

/** How this machine can contain a subprocess; found once by trying each way in turn. */
export interface Sandbox {
  /** Command and arguments that come before the interpreter. */
  prefix: string[];
  /** Spawn the command as this user and group (a root trainer dropping privileges). */
  spawnAs?: { uid: number; gid: number };
  /** The code runs as this user: its folder is handed over to it. */
  owner?: { uid: number; gid: number };
  /** The interpreter that worked under this sandbox. */
  python: string;
  /** No network namespace: block sockets inside Python instead. */
  blockSocketsInPython: boolean;
  /** The code runs as root, where RLIMIT_NPROC does not apply: refuse new processes in Python. */
  blockProcessesInPython: boolean;
  /** Readable summary for logs and tests. */
  description: string;
}

const NOBODY = { uid: 65534, gid: 65534 };

/**
 * Where the interpreter is looked up. A root trainer's PATH may lead to folders `nobody`
 * cannot read (/root/.pyenv), so root uses the system folders only; other users keep theirs.
 */
function searchPath(): string {
  const system = '/usr/local/bin:/usr/bin:/bin';
  return process.getuid?.() === 0 || !process.env.PATH ? system : `${process.env.PATH}:${system}`;
}
const sandboxes = new Map<string, Sandbox>();

/** Every way to contain python, strongest first. */
export function sandboxCandidates(python = PYTHON_DEFAULTS.python): Sandbox[] {
  const isRoot = process.getuid?.() === 0;
  const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  // A PID namespace's first process ignores signals it has no handler for; a shell stays
  // first and runs python as its child, so CPU limits act on python normally. The shell's
  // own notices ("CPU time limit exceeded") go to /dev/null, python's stderr to the caller.
  const init = ['/bin/sh', '-c', 'exec 3>&2 2>/dev/null; ("$@" 2>&3 3>&-); exit $?', 'sh'];
  const namespaces = ['--net', '--pid', '--fork', '--kill-child'];
  const userns = (u: { uid: number; gid: number }) => ['unshare', `--map-user=${u.uid}`, `--map-group=${u.gid}`, ...namespaces, ...init];
  const base = { blockSocketsInPython: false, blockProcessesInPython: false };
  const list: Sandbox[] = [];
  for (const py of [python]) {
    if (isRoot) {
      list.push({ ...base, prefix: userns(NOBODY), spawnAs: NOBODY, owner: NOBODY, python: py, description: 'user nobody; user, network and PID namespaces' });
      list.push({
        ...base,
        prefix: ['unshare', ...namespaces, `--setuid=${NOBODY.uid}`, `--setgid=${NOBODY.gid}`, ...init],
        owner: NOBODY,
        python: py,
        description: 'user nobody; network and PID namespaces',
      });
      list.push({ ...base, prefix: [], spawnAs: NOBODY, owner: NOBODY, python: py, blockSocketsInPython: true, description: 'user nobody; sockets blocked in Python' });
    } else {
      list.push({ ...base, prefix: userns(self), python: py, description: 'user, network and PID namespaces' });
    }
  }
  list.push({ ...base, prefix: [], python, blockSocketsInPython: true, blockProcessesInPython: isRoot, description: isRoot ? 'sockets and new processes blocked in Python' : 'sockets blocked in Python' });
  return list;
}

/** Whether a sandbox works here; a namespace sandbox must show that the network is really gone. */
export function probeSandbox(s: Sandbox): boolean {
  const probe = 'import socket\ntry:\n    socket.create_connection(("1.1.1.1", 53), timeout=0.5)\nexcept OSError:\n    print("isolated")\nelse:\n    print("connected")';
  const [cmd, ...args] = [...s.prefix, s.python, '-I', '-c', probe];
  const r = spawnSync(cmd, args, { uid: s.spawnAs?.uid, gid: s.spawnAs?.gid, cwd: tmpdir(), encoding: 'utf8', timeout: 10_000, env: { PATH: searchPath() } });
  const out = r.stdout?.trim();
  return r.status === 0 && (out === 'isolated' || (s.blockSocketsInPython && Boolean(out)));
}

/** The strongest sandbox that works on this machine, probed once per interpreter. */
export function detectSandbox(python = PYTHON_DEFAULTS.python): Sandbox {
  const known = sandboxes.get(python);
  if (known) return known;
  const found = sandboxCandidates(python).find(probeSandbox);
  if (!found) throw new Error(`execute_python_code: cannot run ${python}; is Python 3 installed?`);
  sandboxes.set(python, found);
  return found;
}

/** Runs before the user's code: limits, the socket guard, and tracebacks that start at main.py. */
function preamble(o: PythonOptions, cpuSeconds: number, sandbox: Sandbox): string {
  const mb = 1024 * 1024;
  return `
import resource as _r, sys as _s
def _lim(name, v):
    k = getattr(_r, name, None)
    if k is not None:
        try:
            _r.setrlimit(k, (v, v + (1 if name == 'RLIMIT_CPU' else 0)))
        except (ValueError, OSError):
            pass
_lim('RLIMIT_AS', ${o.memory_mb * mb})
_lim('RLIMIT_CPU', ${cpuSeconds})
_lim('RLIMIT_NPROC', ${o.max_processes})
_lim('RLIMIT_FSIZE', ${o.file_size_mb * mb})
_lim('RLIMIT_CORE', 0)
_NET, _PROC = ${sandbox.blockSocketsInPython ? 'True' : 'False'}, ${sandbox.blockProcessesInPython ? 'True' : 'False'}
if _NET or _PROC:
    _SPAWN = ('os.fork', 'os.forkpty', 'os.posix_spawn', 'os.spawn', 'os.exec', 'os.system', 'subprocess.Popen', 'ctypes.dlopen')
    def _guard(event, args):
        if _NET and event.startswith('socket.') and event != 'socket.gethostname':
            raise PermissionError('network access is disabled in execute_python_code')
        if _PROC and event.startswith(_SPAWN):
            raise PermissionError('starting processes is disabled in execute_python_code')
    _s.addaudithook(_guard)
del _lim, _r
_s.argv = ['main.py']
def _main():
    import traceback
    with open('main.py', encoding='utf-8') as f:
        src = f.read()
    try:
        code = compile(src, 'main.py', 'exec')
    except SyntaxError as e:
        _s.stderr.write(''.join(traceback.format_exception_only(type(e), e)))
        _s.exit(1)
    g = {'__name__': '__main__', '__file__': 'main.py', '__builtins__': __builtins__}
    try:
        exec(code, g)
    except SystemExit:
        raise
    except BaseException as e:
        _s.stdout.flush()
        traceback.print_exception(type(e), e, e.__traceback__.tb_next)
        _s.exit(1)
_main()
`;
}

const SIGNAL_NAMES: Record<number, string> = { 9: 'SIGKILL', 24: 'SIGXCPU', 25: 'SIGXFSZ', 11: 'SIGSEGV', 6: 'SIGABRT', 15: 'SIGTERM' };

/** Collects at most `cap` characters of a stream; counts what it drops. */
class Capture {
  text = '';
  dropped = 0;
  constructor(private readonly cap: number) {}
  add(chunk: string): void {
    const room = this.cap - this.text.length;
    if (room > 0) this.text += chunk.slice(0, room);
    this.dropped += Math.max(0, chunk.length - Math.max(0, room));
  }
}

export interface PythonRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Stopped because it printed far more than could be shown. */
  flooded: boolean;
  truncated: boolean;
  durationMs: number;
}

/** Runs `code` once under the sandbox; never throws for anything the code does. */
export async function runPython(
  code: string,
  opts: Partial<PythonOptions> & { timeoutMs: number; signal?: AbortSignal; sandbox?: Sandbox },
): Promise<PythonRun> {
  const { sandbox: forced, timeoutMs: _t, signal: _s, ...limits } = opts;
  const o: PythonOptions = { ...PYTHON_DEFAULTS, ...stripUndefined(limits) };
  const sandbox = forced ?? detectSandbox(o.python);
  const cpuSeconds = Math.max(1, Math.ceil(o.cpu_s ?? opts.timeoutMs / 1000));
  const dir = mkdtempSync(join(tmpdir(), 'agent-tune-py-'));
  const started = Date.now();
  try {
    writeFileSync(join(dir, 'main.py'), code);
    if (sandbox.owner) {
      chownSync(dir, sandbox.owner.uid, sandbox.owner.gid);
      chownSync(join(dir, 'main.py'), sandbox.owner.uid, sandbox.owner.gid);
    }
    const [cmd, ...args] = [...sandbox.prefix, sandbox.python, '-I', '-u', '-B', '-c', preamble(o, cpuSeconds, sandbox)];
    const child = spawn(cmd, args, {
      cwd: dir,
      uid: sandbox.spawnAs?.uid,
      gid: sandbox.spawnAs?.gid,
      detached: true, // its own process group, killed as a whole
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: searchPath(),
        HOME: dir,
        TMPDIR: dir,
        LANG: 'C.UTF-8',
        LC_ALL: 'C.UTF-8',
        OPENBLAS_NUM_THREADS: '1',
        OMP_NUM_THREADS: '1',
        MKL_NUM_THREADS: '1',
        MPLBACKEND: 'Agg',
      },
    });
    const out = new Capture(o.max_output_chars);
    const err = new Capture(o.max_output_chars);
    let timedOut = false;
    let flooded = false;
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const onData = (cap: Capture) => (chunk: string) => {
      cap.add(chunk);
      if (!flooded && out.dropped + err.dropped > DISCARD_LIMIT_BYTES) {
        flooded = true;
        kill();
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData(out));
    child.stderr.setEncoding('utf8').on('data', onData(err));
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    const onAbort = () => {
      timedOut = true;
      kill();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const { exitCode, signal } = await new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
      child.on('error', (e) => {
        err.add(String(e.message));
        resolve({ exitCode: null, signal: null });
      });
      child.on('close', (c, s) => resolve({ exitCode: c, signal: s }));
    });
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    // Whatever is left of the group (a daemonised grandchild) goes too.
    kill();
    // A shell in front of python reports python's death by signal as 128 + n.
    const viaShell = sandbox.prefix.length > 0 && exitCode !== null && exitCode > 128;
    return {
      stdout: out.text,
      stderr: err.text,
      exitCode: viaShell ? null : exitCode,
      signal: viaShell ? (SIGNAL_NAMES[exitCode! - 128] ?? `signal ${exitCode! - 128}`) : signal,
      timedOut,
      flooded,
      truncated: out.dropped + err.dropped > 0,
      durationMs: Date.now() - started,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
export function pythonTool(options: Partial<PythonOptions> = {}): Tool {
  const o: PythonOptions = { ...PYTHON_DEFAULTS, ...stripUndefined(options) };
  // Found now, at startup: a missing interpreter is a clear error before any rollout.
  detectSandbox(o.python);
  return {
    schema: PYTHON_TOOL,
    async run(args, { signal, timeoutMs }: ToolRunOptions) {
      const code = args.code;
      if (typeof code !== 'string') return { content: 'Error: execute_python_code needs a "code" argument with the Python source as a string.', error: true };
      if (!code.trim()) return { content: 'Error: the code is empty.', error: true };
      const cpuSeconds = Math.max(1, Math.ceil(o.cpu_s ?? timeoutMs / 1000));
      const r = await runPython(code, { ...o, timeoutMs, signal });
      return formatPythonResult(r, { timeoutMs, cpuSeconds, maxOutputChars: o.max_output_chars });
    },
  };
}
