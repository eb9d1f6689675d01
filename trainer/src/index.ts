// The `agent-tune` package. Users import the SDK from here in their workflows, judges and
// tools; the extension and scripts use the library entry points below it.
export * from './sdk';
export type { JudgeTask } from './judges/types';

export { tuneSchema } from './config/schema';
export type { TuneConfig } from './config/types';
export { loadConfig, ConfigError, formatIssue, parseRef } from './config/load';
export { validateConfigText, validateConfigBytes, type ConfigIssue } from './config/validate';
export * from './run/events';
export { RunWriter } from './run/writer';
export { readJsonl, readAll, tailJsonl } from './run/reader';
