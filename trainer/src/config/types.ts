import type { FromSchema } from 'json-schema-to-ts';
import type { tuneSchema } from './schema';

/** A validated config: properties with schema defaults are always present. */
export type TuneConfig = FromSchema<typeof tuneSchema>;
export type TaskSourceConfig = NonNullable<TuneConfig['tasks']['test']>;
export type ToolConfig = TuneConfig['tools'][number];
