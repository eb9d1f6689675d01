// Opens a new run directory for a loaded config and records how it was produced.
import { resolve } from 'node:path';
import type { LoadedConfig } from '../config/load';
import { RUN_FORMAT_VERSION } from './events';
import { provenance } from './provenance';
import { RunWriter } from './writer';

export function startRun(loaded: LoadedConfig, mode: 'train' | 'debug' | 'eval', outputDir?: string): RunWriter {
  const parent = outputDir ?? resolve(loaded.dir, loaded.config.train.output_dir);
  const writer = RunWriter.create(parent, loaded.config.name);
  writer.writeConfig(loaded.text);
  writer.writeProvenance(provenance(loaded));
  writer.emit({
    type: 'run_started',
    format: RUN_FORMAT_VERSION,
    run_id: writer.dir.split(/[\\/]/).pop()!,
    name: loaded.config.name,
    mode,
    config_file: loaded.file,
    pid: process.pid,
  });
  return writer;
}
