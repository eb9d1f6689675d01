// Names and values that the trainer, the extension and the webview must spell the same way.
// No imports and no Node or DOM APIs, so every layer (media/ included) may import it.

/** Bumped on any change to the run format that an older reader would misread. */
export const RUN_FORMAT_VERSION = 1;

/** The files and folders of a run directory. */
export const RUN_FILES = {
  config: 'config.yaml',
  events: 'events.jsonl',
  rollouts: 'rollouts.jsonl',
  metrics: 'metrics.jsonl',
  provenance: 'provenance.json',
  checkpoints: 'checkpoints',
  eval: 'eval',
  /** Re-judge revisions: the files as they were before each `rejudge --write`. */
  rejudge: 'rejudge',
} as const;

/** A checkpoint's folder under `checkpoints/`: step-000010. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}
export const CHECKPOINT_NAME = /^step-\d{6}$/;

/** What a rollout was rolled out for. */
export const PHASES = ['train', 'eval', 'debug'] as const;
export type Phase = (typeof PHASES)[number];

/** Every flag a rollout or turn can carry, in a fixed order (the viewer stores them as bits). */
export const FLAGS = ['format_error', 'tool_error', 'judge_error', 'workflow_error', 'truncated', 'timeout', 'max_turns'] as const;
export type Flag = (typeof FLAGS)[number];

/** The debugger's type in launch configurations and package.json. */
export const DEBUG_TYPE = 'agent-tune';
/** DAP custom events of the agent-tune debug adapter: the run directory exists; open it in the viewer. */
export const RUN_EVENT = 'agentTune.run';
export const OPEN_RUN_EVENT = 'agentTune.openRun';
