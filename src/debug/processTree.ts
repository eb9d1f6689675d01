// Stopping the trainer with everything it started. The trainer leads its own process group,
// but the python tool starts each run in a process group (and PID namespace) of its own, so
// the descendants are also found by parent id, snapshotted before their parents die.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Every descendant of the `roots` (not the roots themselves). */
export function descendants(...roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of processTable()) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const found = new Set<number>();
  const queue = [...roots];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (found.has(child) || roots.includes(child)) continue;
      found.add(child);
      queue.push(child);
    }
  }
  return [...found];
}

/** [pid, ppid] of every process: /proc on Linux, `ps` elsewhere on Unix. */
export function processTable(): [number, number][] {
  if (process.platform === 'linux') {
    const rows: [number, number][] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = procStat(Number(entry));
      if (stat) rows.push([Number(entry), Number(stat[1])]);
    }
    return rows;
  }
  if (process.platform === 'win32') return [];
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((r): r is [number, number] => r.length === 2 && r.every(Number.isFinite));
}

/** Fields of /proc/PID/stat after the command name (which may hold spaces and parentheses). */
function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  if (process.platform === 'linux') {
    const stat = procStat(pid);
    return stat !== undefined && stat[0] !== 'Z';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // Already gone.
  }
}

/**
 * SIGTERM to the tree (the trainer then records the run as interrupted), SIGKILL to whatever
 * is left after `graceMs`, and back once nothing of it is alive.
 */
export async function killTree(pid: number, graceMs = 1500): Promise<void> {
  if (process.platform === 'win32') {
    try {
      execFileSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
    return;
  }
  const known = new Set([pid, ...descendants(pid)]);
  // Children started while the tree is being stopped are caught too.
  const refresh = () => {
    for (const d of descendants(...[...known].filter(alive))) known.add(d);
  };
  signal(-pid, 'SIGTERM');
  for (const p of known) signal(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && [...known].some(alive)) {
    await sleep(25);
    refresh();
  }
  refresh();
  signal(-pid, 'SIGKILL');
  for (const p of known) if (alive(p)) signal(p, 'SIGKILL');
  const gone = Date.now() + 5000;
  while (Date.now() < gone && [...known].some(alive)) await sleep(10);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
