// The `agent-tune` package: the SDK users import in workflows and judges, and the trainer's
// library entry points.
export { tuneSchema } from './config/schema';
export type { TuneConfig } from './config/types';
export { loadConfig, ConfigError, formatIssue } from './config/load';
export { validateConfigText, validateConfigBytes, type ConfigIssue } from './config/validate';
export * from './run/events';
export { RunWriter } from './run/writer';
export { readJsonl, readAll, tailJsonl } from './run/reader';
