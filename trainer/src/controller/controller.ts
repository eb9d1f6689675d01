// The controller's loop, in the place of `agl-controller`: list queued rollouts, claim as
// many as there are free slots (`rollout.parallel`), run each in our own runtime against its
// proxy URL, report the result, and write the run directory as it goes. Claims carry attempt
// ids `<name>.<boot>.<n>`, so a controller that restarts under the same name finds the
// rollouts its previous life claimed and reports them failed instead of leaving them running.
import { randomBytes } from 'node:crypto';
import { backoffMs } from '../model/retry';
import type { RolloutEnv } from '../rollout/env';
import type { RunWriter } from '../run/writer';
import type { GatewayClient } from './gateway';
import { StepMetrics } from './metrics';
import { EventRouter, runGatewayRollout, type Outcome, type RunContext } from './rollout';
import { agentUrls, type Rollout } from './schema';

export interface ControllerOptions {
  gateway: GatewayClient;
  env: RolloutEnv;
  writer: RunWriter;
  /** Rollouts run at once. */
  parallel: number;
  /** This controller's name: the prefix of its attempt ids; keep it across restarts. */
  name: string;
  /** The gateway URL as the model calls reach it (agl_server.agent_url); default: the gateway's. */
  agentUrl?: string;
  key?: string;
  keyEnv?: string;
  /** Wait between polls of an empty queue, ms. Default 2000. */
  pollMs?: number;
  pausePollMs?: number;
  /** Backoff after a failed listing, doubling up to `backoffMaxMs`. Default 1 s to 30 s. */
  backoffMs?: number;
  backoffMaxMs?: number;
  log(message: string): void;
  /** Called after each rollout has been reported. */
  onReported?(outcome: Outcome, rollout: Rollout): void;
}

export interface ControllerStats {
  claimed: number;
  succeeded: number;
  failed: number;
  /** Rollouts of an earlier life of this controller reported failed at start. */
  recovered: number;
  /** Claims lost to another controller. */
  lost: number;
  inFlight: number;
  peakInFlight: number;
}

/** Longest a controller goes without reading the model version. */
const VERSION_EVERY_MS = 2_000;

/** Most rollouts asked for in one listing (routes/rollouts.py defaults to 500). */
const LIST_LIMIT = 500;

export class Controller {
  readonly stats: ControllerStats = { claimed: 0, succeeded: 0, failed: 0, recovered: 0, lost: 0, inFlight: 0, peakInFlight: 0 };
  readonly boot = randomBytes(4).toString('hex');
  /** Every rollout claimed and not yet reported, with the work that reports it. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Those whose workflow and judge still run: what `parallel` limits. */
  private readonly running = new Set<string>();
  private readonly metrics: StepMetrics;
  private readonly ctx: RunContext;
  private seq = 0;
  /** What the last listing showed and was not claimed yet: tried before listing again. */
  private candidates: Rollout[] = [];
  private listedAt = 0;
  /** The last listing came back full: more may be queued than it showed. */
  private listedFull = false;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private step = 0;
  private versionReadAt = 0;

  constructor(private readonly o: ControllerOptions) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.name)) throw new Error(`--name: use 1 to 64 letters, digits, _ or -, got ${JSON.stringify(o.name)}`);
    this.metrics = new StepMetrics(o.writer);
    this.ctx = { env: o.env, gateway: o.gateway, router: new EventRouter(o.writer), key: o.key, keyEnv: o.keyEnv, log: o.log, pausePollMs: o.pausePollMs };
  }

  /** Runs until `stop()`; then lets the rollouts in flight finish and reports them. */
  async run(): Promise<ControllerStats> {
    await this.recover();
    let failures = 0;
    while (!this.stopping) {
      const free = this.free();
      let more = false;
      if (free > 0) {
        try {
          more = await this.claimSome(free);
          if (failures) this.o.log(`gateway: reachable again at ${this.o.gateway.url}`);
          failures = 0;
        } catch (e) {
          failures++;
          const wait = this.backoff(failures - 1);
          this.o.log(`gateway: cannot list queued rollouts (${(e as Error).message}); next try in ${(wait / 1000).toFixed(1)}s`);
          await this.pause(wait);
          continue;
        }
      }
      // A full listing may hide more work: look again as soon as a slot frees; else at the next poll.
      await this.pause(this.free() === 0 ? (this.o.pollMs ?? 2000) : more ? 0 : this.untilListing());
    }
    await Promise.all(this.inFlight.values());
    this.metrics.flush();
    return this.stats;
  }

  /**
   * Rollouts that may be claimed now. A rollout leaves its slot once judged; its report to
   * the gateway goes on beside the next one, up to `parallel` reports at a time.
   */
  private free(): number {
    return this.inFlight.size - this.running.size >= this.o.parallel ? 0 : this.o.parallel - this.running.size;
  }

  /** Claims no more rollouts; `run` returns once those in flight are reported. */
  stop(): void {
    this.stopping = true;
    this.wakeUp?.();
  }

  /** Rollouts still held by an earlier life of this controller: report them failed. */
  private async recover(): Promise<void> {
    const prefix = `${this.o.name}.`;
    for (let failures = 0; !this.stopping; failures++) {
      let running: Rollout[];
      try {
        running = await this.o.gateway.list(['running'], 1_000_000);
      } catch (e) {
        const wait = this.backoff(failures);
        this.o.log(`gateway: cannot list running rollouts (${(e as Error).message}); next try in ${(wait / 1000).toFixed(1)}s`);
        await this.pause(wait);
        continue;
      }
      for (const r of running) {
        const aid = r.status.last_attempt_id ?? '';
        if (!aid.startsWith(prefix) || aid.startsWith(`${prefix}${this.boot}.`)) continue;
        const why = `controller ${this.o.name} restarted while attempt ${aid} was running; the attempt was lost`;
        if (await this.o.gateway.finish(r.rollout_id, 'failed', why)) {
          this.stats.recovered++;
          this.o.log(`rollout ${r.rollout_id}: reported failed (${why})`);
        }
      }
      return;
    }
  }

  /**
   * Claims up to `free` rollouts: from what the last listing showed while it is fresh, else
   * from a new listing. True when there may be more queued than was seen.
   */
  private async claimSome(free: number): Promise<boolean> {
    const limit = Math.min(LIST_LIMIT, Math.max(free * 4, 50));
    // A listing that showed the whole queue, all claimed since, is not repeated before the next poll.
    if ((this.candidates.length === 0 && this.listedFull) || this.untilListing() === 0) {
      this.candidates = await this.o.gateway.list(['queuing'], limit);
      this.listedAt = Date.now();
      this.listedFull = this.candidates.length >= limit;
      // Controllers sharing a gateway see the same head of the queue; a shuffle spreads their claims.
      shuffle(this.candidates);
    }
    // Claims go out together, as many as there are free slots.
    while (this.candidates.length > 0 && !this.stopping && this.free() > 0) {
      const batch = this.candidates.splice(-this.free());
      await Promise.all(
        batch.map(async (r) => {
          const attemptId = `${this.o.name}.${this.boot}.${this.seq++}`;
          const got = await this.o.gateway.claim(r.rollout_id, attemptId);
          if (got !== 'claimed') {
            if (got === 'taken') this.stats.lost++;
            return;
          }
          this.stats.claimed++;
          this.launch(r, attemptId);
        }),
      );
    }
    return this.listedFull || this.candidates.length > 0;
  }

  /** Time until the next poll of the queue is due, ms. */
  private untilListing(): number {
    const poll = this.o.pollMs ?? 2000;
    return Math.max(0, Math.min(poll, this.listedAt + poll - Date.now()));
  }

  private launch(r: Rollout, attemptId: string): void {
    const urls = agentUrls(this.o.agentUrl ?? this.o.gateway.url, r.rollout_id, attemptId, r.is_train);
    const work = runGatewayRollout(this.ctx, {
      rolloutId: r.rollout_id,
      attemptId,
      input: r.input,
      isTrain: r.is_train,
      openaiUrl: urls.openai,
      events: { rolloutId: r.rollout_id, attemptId },
      timeoutS: r.config?.timeout_seconds > 0 ? r.config.timeout_seconds : 3600,
      step: this.step,
      judged: () => {
        this.running.delete(r.rollout_id);
        this.wakeUp?.();
      },
    })
      .then((outcome) => this.report(r, outcome))
      .catch(async (e: Error) => {
        this.o.log(`rollout ${r.rollout_id}: ${e.message}`);
        await this.report(r, { state: 'failed', error: `the controller could not finish the rollout: ${e.message}`, rewardPosted: false, pauses: 0 }).catch((e2: Error) =>
          this.o.log(`rollout ${r.rollout_id}: cannot report it failed: ${e2.message}`),
        );
      })
      .finally(() => {
        this.running.delete(r.rollout_id);
        this.inFlight.delete(r.rollout_id);
        this.stats.inFlight = this.inFlight.size;
        this.wakeUp?.();
      });
    this.running.add(r.rollout_id);
    this.inFlight.set(r.rollout_id, work);
    this.stats.inFlight = this.inFlight.size;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.inFlight.size);
  }

  private async report(r: Rollout, outcome: Outcome): Promise<void> {
    const [step, done] = await Promise.all([outcome.record ? this.modelVersion(r.rollout_id, outcome.pauses > 0) : undefined, this.o.gateway.finish(r.rollout_id, outcome.state, outcome.error)]);
    if (outcome.record) {
      outcome.record.step = step!;
      this.o.writer.rollout(outcome.record);
      this.metrics.add(outcome.record, outcome.state === 'failed');
    }
    if (!done) this.o.log(`rollout ${r.rollout_id}: the gateway had already ended it; marked ${outcome.state} here only`);
    if (outcome.state === 'succeeded') this.stats.succeeded++;
    else this.stats.failed++;
    if (outcome.error) this.o.log(`rollout ${r.rollout_id}: failed: ${outcome.error}`);
    this.o.onReported?.(outcome, r);
  }

  /**
   * The training step: the model version the gateway served this rollout's last call with.
   * Reading it costs a transfer of the rollout's calls, so it is read when the rollout met a
   * weight sync (a pause), and otherwise at most every few seconds; rollouts in between take
   * the last version read.
   */
  private async modelVersion(rolloutId: string, metPause: boolean): Promise<number> {
    // Rollouts that report while a read is under way take what it finds, not the step before it.
    if (!metPause && Date.now() - this.versionReadAt < VERSION_EVERY_MS) return this.versionRead ? this.versionRead.then(() => this.step) : this.step;
    this.versionReadAt = Date.now();
    const read = this.readModelVersion(rolloutId);
    this.versionRead = read;
    try {
      return await read;
    } finally {
      if (this.versionRead === read) this.versionRead = undefined;
    }
  }

  private versionRead?: Promise<number>;

  private async readModelVersion(rolloutId: string): Promise<number> {
    try {
      const events = await this.o.gateway.events(rolloutId, 'model_request');
      for (const e of events) {
        const v = (e.data as { model_version?: unknown }).model_version;
        if (typeof v === 'number' && Number.isFinite(v) && v > this.step) this.step = v;
      }
      const last = events[events.length - 1]?.data as { model_version?: unknown } | undefined;
      return typeof last?.model_version === 'number' ? last.model_version : this.step;
    } catch (e) {
      this.o.log(`rollout ${rolloutId}: cannot read its model version (${(e as Error).message}); step ${this.step} assumed`);
      return this.step;
    }
  }

  private backoff(retry: number): number {
    return backoffMs(Math.min(retry, 16), { baseMs: this.o.backoffMs ?? 1000, maxMs: this.o.backoffMaxMs ?? 30_000 });
  }

  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}

function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}
