// A mocha root hook. A test that leaves a handle open (a worker, a socket, a child process)
// keeps mocha alive after its report, and CI then waits until its deadline. Some time after the
// last test, name what is still open and end the run as failed.
const GRACE_MS = 15_000;

function describeHandle(h: unknown): string {
  const name = (h as { constructor?: { name?: string } })?.constructor?.name ?? typeof h;
  if (name === 'ChildProcess') return `child process ${(h as { spawnargs?: string[] }).spawnargs?.join(' ').slice(0, 200)}`;
  if (name === 'Server') return `server ${JSON.stringify((h as { address?: () => unknown }).address?.())}`;
  if (name === 'Socket') {
    const s = h as { remoteAddress?: string; remotePort?: number; localPort?: number };
    return s.remotePort ? `socket to ${s.remoteAddress}:${s.remotePort}` : `socket or pipe${s.localPort ? ` on ${s.localPort}` : ''}`;
  }
  return name;
}

export const mochaHooks = {
  afterAll(): void {
    const timer = setTimeout(() => {
      const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().map(describeHandle);
      console.error(`\nThe tests left ${handles.length} handle(s) open ${GRACE_MS / 1000} s after the last test, which keeps the run from ending:`);
      for (const h of handles) console.error(`  - ${h}`);
      console.error('(a MessagePort is a worker thread or message channel that was neither closed nor unref-ed)');
      // mocha sets the exit code in an 'exit' listener of its own; this one runs after it.
      process.on('exit', () => (process.exitCode = 1));
      process.exit(1);
    }, GRACE_MS);
    timer.unref();
  },
};
