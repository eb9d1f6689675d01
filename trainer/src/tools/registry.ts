// The built-in tools that `builtin:` refs in `tools[].ref` name, built with `tools[].options`.
import Ajv from 'ajv';
import { calculatorTool } from './calculator';
import { pythonTool, type PythonOptions } from './python';
import type { Tool } from './tool';

const OPTION_SCHEMAS: Record<string, Record<string, unknown>> = {
  calculator: { type: 'object', additionalProperties: false, properties: {} },
  python: {
    type: 'object',
    additionalProperties: false,
    properties: {
      python: { type: 'string', minLength: 1 },
      memory_mb: { type: 'integer', minimum: 16 },
      cpu_s: { type: 'number', exclusiveMinimum: 0 },
      max_processes: { type: 'integer', minimum: 1 },
      max_output_chars: { type: 'integer', minimum: 100 },
      file_size_mb: { type: 'integer', minimum: 0 },
      disk_mb: { type: 'integer', minimum: 1 },
      shm_mb: { type: 'integer', minimum: 1 },
      sandbox: { enum: ['strict', 'best', 'off'] },
    },
  },
};

const ajv = new Ajv({ allErrors: true });
const validators = Object.fromEntries(Object.entries(OPTION_SCHEMAS).map(([k, s]) => [k, ajv.compile(s)]));

/** Names accepted after `builtin:`. */
export const BUILTIN_TOOLS = Object.keys(OPTION_SCHEMAS);

/** Throws, naming the option, when `options` do not fit the built-in tool `name`. */
export function checkBuiltinOptions(name: string, options: Record<string, unknown>): void {
  const bare = name.replace(/^builtin:/, '');
  const check = validators[bare];
  if (!check) throw new Error(`unknown built-in tool "builtin:${bare}"; known: ${BUILTIN_TOOLS.map((n) => `builtin:${n}`).join(', ')}`);
  if (!check(options)) {
    const e = check.errors![0];
    const field = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : e.instancePath.slice(1);
    const what = e.keyword === 'additionalProperties' ? `unknown option; known: ${Object.keys((OPTION_SCHEMAS[bare].properties as object) ?? {}).join(', ') || 'none'}` : e.message;
    throw new Error(`tools: builtin:${bare} options.${field}: ${what}`);
  }
}

/** The tool named `builtin:<name>`; bad options are an error naming the option. */
export function builtinTool(name: string, options: Record<string, unknown> = {}): Tool {
  checkBuiltinOptions(name, options);
  const bare = name.replace(/^builtin:/, '');
  return bare === 'calculator' ? calculatorTool() : pythonTool(options as Partial<PythonOptions>);
}
