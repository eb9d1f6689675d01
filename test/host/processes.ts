// Child processes of the test host: each runs in its own process group, is killed with its
// whole tree, and cannot outlive the runner (CI must never be left with a stray server).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';

const live = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of live) signalTree(child.pid, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of live) signalTree(child.pid, 'SIGKILL');
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

/** Starts a process as the leader of a new process group, tracked until it exits. */
export function spawnGroup(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: process.platform !== 'win32' });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Stops a process and every descendant: SIGTERM, then SIGKILL after `graceMs`. */
export async function killTree(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.pid === undefined) return;
  const pids = [child.pid, ...descendants(child.pid)];
  signalTree(child.pid, 'SIGTERM', pids);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(alive)) await sleep(50);
  signalTree(child.pid, 'SIGKILL', pids.filter(alive));
  live.delete(child);
}

function signalTree(pid: number | undefined, signal: NodeJS.Signals, pids: number[] = []): void {
  if (pid === undefined) return;
  // The group catches everything that did not start a session of its own; the pid list
  // catches what did (pty hosts, detached helpers), snapshotted before their parents die.
  const targets = [-pid, ...(pids.length ? pids : [pid, ...descendants(pid)])];
  for (const target of targets) {
    try {
      process.kill(target, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Descendants of `root`, read from /proc (Linux); elsewhere only the process group is used. */
function descendants(root: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function parentOf(pid: number): number | undefined {
  const stat = procStat(pid);
  return stat ? Number(stat[1]) : undefined;
}

/** Fields of /proc/PID/stat after the command name, which may itself hold spaces and parentheses. */
function procStat(pid: number): string[] | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  const stat = procStat(pid);
  if (stat) return stat[0] !== 'Z';
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
