// The `agent-tune` launch configuration: its attributes, the configurations VS Code offers,
// and the type the adapter reads. package.json's `contributes.debuggers` entry is checked
// against this file by test/unit/debug/manifest.test.ts.

import { DEBUG_TYPE } from '../../trainer/src/run/constants';
export { DEBUG_TYPE };

export type LaunchMode = 'debug' | 'train' | 'eval' | 'controller';

const MODES: readonly LaunchMode[] = ['debug', 'train', 'eval', 'controller'];

export interface LaunchArgs {
  /** A *.tune.yaml file. */
  config: string;
  mode?: LaunchMode;
  tasks?: number;
  /** Controller mode: the Agent Lightning gateway's URL. */
  gateway?: string;
  /** Controller mode: the environment variable holding the gateway key. */
  keyEnv?: string;
  stopOnEntry?: boolean;
  runtimeExecutable?: string;
  env?: Record<string, string | null>;
  args?: string[];
  cwd?: string;
  debugUserCode?: boolean;
  /** Log the DAP traffic: true to a file in the temporary folder, a string to that file. */
  trace?: boolean | string;
  /** Set by VS Code for "Run Without Debugging". */
  noDebug?: boolean;
}

export const launchAttributes = {
  required: ['config'],
  properties: {
    config: {
      type: 'string',
      description: 'The tune config (*.tune.yaml) to roll out, train or evaluate.',
      default: '${file}',
    },
    mode: {
      type: 'string',
      enum: ['debug', 'train', 'eval', 'controller'],
      enumDescriptions: [
        'Roll out a few tasks and judge them, without training (agent-tune debug).',
        'Train: roll out, judge, update the adapter, evaluate and checkpoint (agent-tune run).',
        'Evaluate on the test tasks (agent-tune eval).',
        'Run the rollouts of a distributed training run from its Agent Lightning gateway, with the model on the GPUs and the workflow, tools and judge here (agent-tune controller).',
      ],
      description: 'What the trainer does.',
      default: 'debug',
    },
    tasks: {
      type: 'integer',
      minimum: 1,
      description: 'How many tasks to roll out in debug mode; each is rolled out rollout.group_size times.',
      default: 2,
    },
    gateway: {
      type: 'string',
      description: 'Controller mode: the URL of the Agent Lightning gateway whose queued rollouts this session runs, for example http://gateway:8080.',
      default: 'http://localhost:8080',
    },
    keyEnv: {
      type: 'string',
      description: 'Controller mode: the environment variable (of the trainer, see "env") that holds the gateway key.',
      default: 'AGL_KEY',
    },
    stopOnEntry: {
      type: 'boolean',
      description: 'Pause before the first turn of the first rollout.',
      default: false,
    },
    runtimeExecutable: {
      type: 'string',
      description: 'The Node.js (20.19 or newer) that runs the trainer. By default the `node` on PATH, else the runtime VS Code itself runs on.',
      default: 'node',
    },
    env: {
      type: 'object',
      additionalProperties: { type: ['string', 'null'] },
      description: 'Environment variables for the trainer; null removes one.',
      default: {},
    },
    args: {
      type: 'array',
      items: { type: 'string' },
      description: 'More trainer arguments, for example ["--split", "test"] or ["--steps", "5"].',
      default: [],
    },
    cwd: {
      type: 'string',
      description: "The trainer's working folder; the config's folder by default.",
      default: '${workspaceFolder}',
    },
    debugUserCode: {
      type: 'boolean',
      description: 'Attach the Node.js debugger to the trainer so that breakpoints in workflows, judges and tools bind.',
      default: true,
    },
    trace: {
      type: ['boolean', 'string'],
      description:
        'Log the Debug Adapter Protocol messages between VS Code and the agent-tune adapter: true writes them to a file in the temporary folder (its path is shown in the Debug Console), a path writes them there. "Agent Tune: Report a Problem" includes the latest trace.',
      default: false,
    },
  },
} as const;

export const initialConfigurations = [
  {
    type: DEBUG_TYPE,
    request: 'launch',
    name: 'Agent Tune: debug rollouts',
    config: '${file}',
    mode: 'debug',
    tasks: 2,
  },
];

export const configurationSnippets = [
  {
    label: 'Agent Tune: Debug rollouts',
    description: 'Roll out a few tasks of a tune config and judge them, with breakpoints in workflows and judges.',
    body: { type: DEBUG_TYPE, request: 'launch', name: 'Agent Tune: debug rollouts', config: '^"\\${workspaceFolder}/${1:agent}.tune.yaml"', mode: 'debug', tasks: 2 },
  },
  {
    label: 'Agent Tune: Train',
    description: 'Train a tune config under the debugger.',
    body: { type: DEBUG_TYPE, request: 'launch', name: 'Agent Tune: train', config: '^"\\${workspaceFolder}/${1:agent}.tune.yaml"', mode: 'train' },
  },
  {
    label: 'Agent Tune: Evaluate',
    description: 'Evaluate a tune config on its test tasks under the debugger.',
    body: { type: DEBUG_TYPE, request: 'launch', name: 'Agent Tune: evaluate', config: '^"\\${workspaceFolder}/${1:agent}.tune.yaml"', mode: 'eval' },
  },
  {
    label: 'Agent Tune: Controller',
    description: "Run a distributed training run's rollouts from its gateway under the debugger.",
    body: { type: DEBUG_TYPE, request: 'launch', name: 'Agent Tune: controller', config: '^"\\${workspaceFolder}/${1:agent}.tune.yaml"', mode: 'controller', gateway: 'http://${2:gateway}:8080' },
  },
];

/** The whole `contributes.debuggers` entry. */
export const debuggerContribution = {
  type: DEBUG_TYPE,
  label: 'Agent Tune',
  languages: ['agent-tune-config'],
  configurationAttributes: { launch: launchAttributes },
  initialConfigurations,
  configurationSnippets,
};

/** Why a launch configuration cannot run, or undefined; checked before the trainer starts. */
export function checkLaunchArgs(a: Partial<LaunchArgs>): string | undefined {
  if (typeof a.config !== 'string' || !a.config.trim()) {
    return 'The launch configuration names no tune config: set "config" to a *.tune.yaml file (for example "${workspaceFolder}/math.tune.yaml").';
  }
  if (a.mode !== undefined && !MODES.includes(a.mode)) return `"mode" must be "debug", "train", "eval" or "controller", not ${JSON.stringify(a.mode)}.`;
  if (a.mode === 'controller' && !(typeof a.gateway === 'string' && /^https?:\/\/\S+$/.test(a.gateway))) {
    return `"mode": "controller" needs "gateway", the Agent Lightning gateway's http(s) URL (for example "http://gateway:8080"), not ${JSON.stringify(a.gateway)}.`;
  }
  if (a.keyEnv !== undefined && !(typeof a.keyEnv === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(a.keyEnv))) return `"keyEnv" must be the name of an environment variable, not ${JSON.stringify(a.keyEnv)}.`;
  if (a.tasks !== undefined && !(Number.isInteger(a.tasks) && a.tasks >= 1)) return `"tasks" must be a positive whole number, not ${JSON.stringify(a.tasks)}.`;
  if (a.trace !== undefined && typeof a.trace !== 'boolean' && typeof a.trace !== 'string') return '"trace" must be true, false or the path of a file.';
  if (a.args !== undefined && !(Array.isArray(a.args) && a.args.every((x) => typeof x === 'string'))) return '"args" must be a list of strings.';
  if (a.env !== undefined && (typeof a.env !== 'object' || a.env === null || Object.values(a.env).some((v) => v !== null && typeof v !== 'string'))) {
    return '"env" must map names to strings (or null to remove a variable).';
  }
  return undefined;
}
