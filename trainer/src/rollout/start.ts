// Opens a new run directory for a loaded config and records how it was produced.
import { resolve } from 'node:path';
import type { LoadedConfig } from '../config/load';
import { configSandbox } from '../tools/python';
import { RUN_FORMAT_VERSION, type SandboxRecord } from '../run/events';
import { provenance } from '../run/provenance';
import { RunWriter } from '../run/writer';

/** The sandbox line is printed once per process, not once per run. */
let printed = false;

/**
 * The python sandbox this process gives the config's `builtin:python`, printed once. Probed
 * before a run folder is made or reopened: a refused sandbox stops the run with nothing touched.
 */
export function runSandbox(loaded: LoadedConfig): SandboxRecord | undefined {
  const sandbox = configSandbox(loaded.config.tools);
  if (sandbox && !printed) {
    printed = true;
    process.stderr.write(sandbox.line + '\n');
  }
  return sandbox?.record;
}

/** `steps`: the step a training run trains to, recorded for progress. */
export function startRun(loaded: LoadedConfig, mode: 'train' | 'debug' | 'eval', outputDir?: string, steps?: number): RunWriter {
  const sandbox = runSandbox(loaded);
  const parent = outputDir ?? resolve(loaded.dir, loaded.config.train.output_dir);
  const writer = RunWriter.create(parent, loaded.config.name);
  writer.userDataMaxBytes = loaded.config.rollout.user_data_max_kb * 1024;
  writer.writeConfig(loaded.text);
  writer.writeProvenance({ ...provenance(loaded), ...(sandbox && { sandbox }) });
  writer.emit({
    type: 'run_started',
    format: RUN_FORMAT_VERSION,
    run_id: writer.dir.split(/[\\/]/).pop()!,
    name: loaded.config.name,
    mode,
    config_file: loaded.file,
    pid: process.pid,
    ...(steps !== undefined && { steps }),
    ...(sandbox && { sandbox }),
  });
  return writer;
}
