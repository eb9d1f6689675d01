// `agent-tune controller CONFIG --gateway URL`: our process in the place of `agl-controller`.
// It claims the gateway's queued rollouts and runs the config's workflow, tools and judge on
// this machine, with each rollout's model calls going through the gateway's proxy to the
// GPUs; results go back to the gateway and into a run directory the viewer follows.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { Output } from './output';
import { loadConfig } from '../config/load';
import { Controller } from '../controller/controller';
import { gatewayEnv, readKey } from '../controller/env';
import { GatewayClient } from '../controller/gateway';
import { AGENT_LIGHTNING } from '../controller/schema';
import { startRun } from '../rollout/start';
import { exitBySignal } from '../run/guard';
import { parsePositive } from './debug';
import { EXIT, debuggerOutput } from './output';
import { openDebugBridge } from '../debug/open';

interface Flags {
  gateway: string;
  agentUrl?: string;
  keyEnv: string;
  name?: string;
  parallel?: number;
  poll: number;
  outputDir?: string;
  exitWhenIdle?: number;
  timeouts: boolean;
  debugBridge?: boolean;
}

/** A controller's default name: the host's, which a StatefulSet keeps across restarts. */
export function defaultName(): string {
  return hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64) || 'controller';
}

export function registerController(program: Command, out: () => Output, setExit: (code: number) => void): void {
  program
    .command('controller')
    .description(`run an Agent Lightning gateway's rollouts with this config's workflow, tools and judge (in place of agl-controller; follows Agent Lightning ${AGENT_LIGHTNING.version})`)
    .argument('<config>', 'a *.tune.yaml file')
    .requiredOption('--gateway <url>', 'the Agent Lightning gateway, e.g. http://gateway:8080')
    .option('--agent-url <url>', 'the gateway as the model calls reach it, when that differs from --gateway (agl_server.agent_url)')
    .option('--key-env <name>', 'environment variable holding the gateway key (sent as Bearer, never written)', 'AGL_KEY')
    .option('--name <name>', 'this controller\'s name, kept across restarts so a restarted controller reports the rollouts it lost (default: the host name)')
    .option('--parallel <n>', 'rollouts run at once (default: rollout.parallel)', (v) => parsePositive(v, '--parallel'))
    .option('--poll <seconds>', 'wait between polls of an empty queue', (v) => positiveNumber(v, '--poll'), 2)
    .option('--output-dir <dir>', 'create the run directory here instead of under train.output_dir')
    .option('--exit-when-idle <seconds>', 'exit once nothing has been queued or running here for this long (batch jobs)', (v) => positiveNumber(v, '--exit-when-idle'))
    .option('--no-timeouts', 'never time out user code or rollouts (set while a debugger is attached)')
    .option('--debug-bridge', 'let the debugger that spawned the controller hold rollouts (IPC)')
    .action(async (file: string, flags: Flags) => {
      const o = flags.debugBridge ? debuggerOutput(out()) : out();
      const bridge = await openDebugBridge(flags.debugBridge);
      const key = readKey(flags.keyEnv);
      if (!key) o.info(`${flags.keyEnv} is not set: requests go without a key, which only a gateway with authentication disabled accepts`);
      const loaded = loadConfig(file);
      const stopping = new AbortController();
      const log = (m: string) => o.info(`${new Date().toISOString()} ${m}`);
      const gateway = new GatewayClient({ url: flags.gateway, ...(key ? { key } : {}), log, signal: stopping.signal });
      const writer = startRun(loaded, 'train', flags.outputDir);
      o.info(`run directory: ${writer.dir}`);
      bridge?.attach(writer);
      const started = Date.now();
      let controller: Controller | undefined;
      const onSignal = (signal: NodeJS.Signals) => {
        if (!controller || stopping.signal.aborted) {
          writer.emit({ type: 'run_stopped', signal, duration_ms: Date.now() - started });
          writer.sync();
          exitBySignal(signal);
          return;
        }
        log(`${signal}: claiming no more rollouts; finishing the ${controller.stats.inFlight} in flight (again to quit now)`);
        controller.stop();
        process.once(signal, onSignal);
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const env = await gatewayEnv(loaded, writer, flags.timeouts && !bridge, bridge?.hooks);
        try {
          const name = flags.name ?? defaultName();
          const parallel = flags.parallel ?? loaded.config.rollout.parallel;
          controller = new Controller({
            gateway,
            env,
            writer,
            parallel,
            name,
            ...(flags.agentUrl ? { agentUrl: flags.agentUrl } : {}),
            ...(key ? { key } : {}),
            keyEnv: flags.keyEnv,
            pollMs: flags.poll * 1000,
            log,
          });
          log(`controller ${name} (boot ${controller.boot}) polling ${gateway.url} with ${parallel} rollouts at once`);
          const idle = flags.exitWhenIdle !== undefined ? watchIdle(controller, gateway, flags.exitWhenIdle * 1000, log) : undefined;
          const stats = await controller.run();
          idle?.stop();
          writer.emit({ type: 'run_finished', duration_ms: Date.now() - started });
          o.result({ run_dir: writer.dir, name, boot: controller.boot, ...stats }, () =>
            `claimed ${stats.claimed}, succeeded ${stats.succeeded}, failed ${stats.failed}, lost to other controllers ${stats.lost}, reported from an earlier life ${stats.recovered}\nrun directory: ${writer.dir}`,
          );
        } finally {
          await env.close();
        }
      } catch (e) {
        const err = e as Error;
        writer.emit({ type: 'run_failed', message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
        throw e;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        stopping.abort();
        writer.sync();
        writer.close();
      }
      setExit(EXIT.ok);
    });
}

/** Stops the controller once the gateway has had nothing queued and it nothing in flight for `ms`. */
function watchIdle(controller: Controller, gateway: GatewayClient, ms: number, log: (m: string) => void): { stop(): void } {
  let since = Date.now();
  const timer = setInterval(() => {
    if (controller.stats.inFlight > 0) {
      since = Date.now();
      return;
    }
    gateway.list(['queuing'], 1).then(
      (q) => {
        if (q.length > 0) since = Date.now();
        else if (Date.now() - since >= ms) {
          log(`idle for ${ms / 1000}s: exiting`);
          controller.stop();
        }
      },
      () => undefined,
    );
  }, Math.min(ms, 1000));
  return { stop: () => clearInterval(timer) };
}

function positiveNumber(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number of seconds, got "${v}"`);
  return n;
}
