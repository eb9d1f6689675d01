// At most N tasks at once; the rest wait in arrival order. A waiter whose signal aborts
// leaves the queue without ever taking a slot.

export class Limiter {
  private active = 0;
  private readonly waiting: { start: () => void; fail: (e: unknown) => void }[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`the concurrency limit must be at least 1, got ${limit}`);
  }

  get running(): number {
    return this.active;
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active++;
          resolve();
        },
        fail: reject,
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.start();
  }
}
