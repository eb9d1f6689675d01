// The comparison overlay: another run's metrics, followed as that run writes them. A second
// RunSource reads and tails the other run (the same reader and fold as the panel's own run);
// only its metrics go to the webview, as `compare` messages.
import { RunSource, type RunSourceOptions } from './runSource';
import type { HostMessage, MetricSeries } from './protocol';

export class CompareFollower {
  private source: RunSource | undefined;

  constructor(
    private readonly post: (m: HostMessage) => void,
    private readonly opts: RunSourceOptions = {},
  ) {}

  /** Starts following `dir` (instead of any run followed before); resolves with its metrics once read. */
  async follow(dir: string): Promise<MetricSeries> {
    this.clear();
    const src: RunSource = new RunSource(
      dir,
      (m) => {
        if (m.type === 'metrics' && this.source === src) this.post({ type: 'compare', series: m.series });
      },
      this.opts,
    );
    this.source = src;
    await src.start();
    return src.series();
  }

  /** The followed run's metrics as read so far. */
  series(): MetricSeries | undefined {
    return this.source?.series();
  }

  /** The run followed now, if any. */
  get dir(): string | undefined {
    return this.source?.dir;
  }

  clear(): void {
    this.source?.dispose();
    this.source = undefined;
  }

  dispose(): void {
    this.clear();
  }
}
