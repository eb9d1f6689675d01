// Launch planning: checks a launch configuration and works out how to run the trainer (which
// Node, which folder, which arguments), with an error that says what to fix.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../trainer/src/config/load';
import { checkLaunchArgs, type LaunchArgs } from './launch';
import { resolveRuntime, RuntimeError, type Runtime } from './runtime';
import type { Requests } from '../../trainer/src/debug/protocol';

export class LaunchError extends Error {}

/** What the debug bridge stops at in a launch without debugging (the Run lens, Ctrl+F5): nothing. */
export const NO_STOPS: Requests['configure']['args'] = { breakpoints: [], userErrors: false, stopOnEntry: false };

export interface Plan {
  args: LaunchArgs;
  config: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  runtime: Runtime;
  cli: string;
  /** Breakpoints, pauses and stops; false for "Run Without Debugging". */
  debug: boolean;
  inspect: boolean;
  mode: string;
  trainerArgs: string[];
}

export function defaultTrainerCli(): string {
  // dist/extension.js and dist/debugAdapter.js both sit one folder below the repository root.
  for (const base of [join(__dirname, '..'), join(__dirname, '..', '..')]) {
    const cli = join(base, 'trainer', 'bin', 'agent-tune.js');
    if (existsSync(cli)) return cli;
  }
  return join(__dirname, '..', 'trainer', 'bin', 'agent-tune.js');
}

/** Checks the launch configuration and works out how to run the trainer; throws what to fix. */
export function planLaunch(args: LaunchArgs, trainerCli?: string): Plan {
  const problem = checkLaunchArgs(args);
  if (problem) throw new LaunchError(problem);
  const baseCwd = args.cwd && isAbsolute(args.cwd) ? args.cwd : resolve(args.cwd ?? process.cwd());
  const config = isAbsolute(args.config) ? args.config : resolve(baseCwd, args.config);
  if (!existsSync(config)) throw new LaunchError(`Config file not found: ${config}. Set "config" in the launch configuration to an existing *.tune.yaml file.`);
  try {
    loadConfig(config);
  } catch (e) {
    if (e instanceof ConfigError) {
      const errors = e.issues.filter((i) => i.severity === 'error');
      throw new LaunchError(`${config} has ${errors.length} problem${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} and start again:\n${e.message}`);
    }
    throw new LaunchError(`${config}: ${(e as Error).message}`);
  }
  const cwd = args.cwd ? baseCwd : dirname(config);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  delete env.NODE_OPTIONS;
  for (const [k, v] of Object.entries(args.env ?? {})) {
    if (v === null) delete env[k];
    else env[k] = v;
  }
  let runtime;
  try {
    runtime = resolveRuntime(args.runtimeExecutable, env, cwd);
  } catch (e) {
    if (e instanceof RuntimeError) throw new LaunchError(e.message);
    throw e;
  }
  const cli = trainerCli ?? defaultTrainerCli();
  if (!existsSync(cli)) throw new LaunchError(`The trainer is missing at ${cli}; build it with "npm run build".`);

  const debug = !args.noDebug;
  const inspect = debug && args.debugUserCode !== false;
  const mode = args.mode ?? 'debug';
  const command = commandFor(args, config);
  // The bridge runs without debugging too, for the run directory and the rollouts as threads;
  // only a debugged run, which may hold a rollout, turns timeouts off.
  const trainerArgs = [...command, '--debug-bridge', ...(debug ? ['--no-timeouts'] : []), ...(args.args ?? [])];
  return { args, config, cwd, env, runtime, cli, debug, inspect, mode, trainerArgs };
}

/** The trainer command a launch mode runs. */
function commandFor(args: LaunchArgs, config: string): string[] {
  switch (args.mode ?? 'debug') {
    case 'train':
      return ['run', config];
    case 'eval':
      return ['eval', config];
    case 'controller':
      return ['controller', config, '--gateway', args.gateway!, ...(args.keyEnv ? ['--key-env', args.keyEnv] : [])];
    default:
      return ['debug', config, '--tasks', String(args.tasks ?? 2)];
  }
}
