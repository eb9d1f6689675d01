// The transcript the webview has open: sent when it is opened, again when its rollouts.jsonl
// line arrives, and, while the rollout runs, as its events come (at most every 50 ms).
import { RUN_FILES, type RolloutRecord } from '../../trainer/src/run/events';
import { join } from 'node:path';
import type { LiveRollouts } from './liveRows';
import type { HostMessage } from './protocol';
import { readRange } from './runFiles';

/** Where each rollout's line lies in rollouts.jsonl. */
export type RolloutIndex = Map<string, { offset: number; end: number }>;

export class OpenTranscript {
  private id: string | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly index: RolloutIndex,
    private readonly live: LiveRollouts,
    private readonly post: (m: HostMessage) => void,
  ) {}

  async open(id: string): Promise<void> {
    this.id = id;
    await this.send(id);
  }

  /** The rollout's line was read: the line is its transcript from now on. */
  lineRead(id: string): void {
    if (this.id === id) void this.send(id);
  }

  /** A live rollout's events changed it. */
  liveChanged(id: string): void {
    if (this.id !== id || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.id && !this.index.has(this.id)) void this.send(this.id);
    }, 50);
  }

  private async send(id: string): Promise<void> {
    const at = this.index.get(id);
    try {
      if (at) {
        const record = JSON.parse(await readRange(join(this.dir, RUN_FILES.rollouts), at.offset, at.end)) as RolloutRecord;
        if (this.id === id) this.post({ type: 'transcript', id, record, live: false });
      } else if (this.live.has(id)) {
        const record = await this.live.transcript(join(this.dir, RUN_FILES.events), id);
        if (this.id === id) this.post({ type: 'transcript', id, record, live: !this.live.cutOff(id) });
      } else {
        this.post({ type: 'transcript', id, live: false, error: `rollout ${id} is not in this run` });
      }
    } catch (e) {
      this.post({ type: 'transcript', id, live: false, error: `could not read rollout ${id}: ${(e as Error).message}` });
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
