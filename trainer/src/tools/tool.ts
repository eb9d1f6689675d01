// What the rollout runtime calls: a tool is its JSON schema (shown to the model by the chat
// template) and a run function. `defineTool` is how users write one; arguments are checked
// against the schema before `run`, so a tool body only ever sees arguments of the right shape.
import Ajv, { type ErrorObject } from 'ajv';
import type { ToolSchema } from '../model/types';

export interface ToolRunOptions {
  /** Aborted when the call's timeout passes or the rollout is cancelled. */
  signal: AbortSignal;
  /** The call's wall-clock limit, for tools that enforce it themselves (subprocesses). */
  timeoutMs: number;
}

export interface ToolOutput {
  /** What the model reads in the tool message. */
  content: string;
  /** The call failed; counted by the `tool_error` reward part. */
  error: boolean;
}

export interface Tool {
  schema: ToolSchema;
  run(args: Record<string, unknown>, options: ToolRunOptions): Promise<ToolOutput>;
}

export interface ToolDefinition<A extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  description: string;
  /** JSON Schema (draft-07) of the arguments object. */
  parameters: Record<string, unknown>;
  /** Returns the text the model reads; a thrown error becomes `Error: <message>`. */
  run(args: A, options: ToolRunOptions): string | ToolOutput | Promise<string | ToolOutput>;
}

const TOOL_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

let ajv: Ajv | undefined;
function validator(): Ajv {
  // strict: false because user schemas carry annotations ajv does not know (`examples`, `title`).
  ajv ??= new Ajv({ allErrors: true, strict: false });
  return ajv;
}

function describeArgError(e: ErrorObject): string {
  const where = e.instancePath ? `'${e.instancePath.slice(1).replace(/\//g, '.')}'` : 'arguments';
  if (e.keyword === 'required') return `missing required argument '${(e.params as { missingProperty: string }).missingProperty}'`;
  if (e.keyword === 'additionalProperties') return `unknown argument '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  return `${where} ${e.message ?? 'is invalid'}`;
}

/** A user tool: validates its definition now and its arguments on every call. */
export function defineTool<A extends Record<string, unknown> = Record<string, unknown>>(def: ToolDefinition<A>): Tool {
  if (!def || typeof def !== 'object') throw new TypeError('defineTool: expected an object with name, description, parameters and run');
  if (typeof def.name !== 'string' || !TOOL_NAME.test(def.name)) {
    throw new TypeError(`defineTool: name must be letters, digits, '_', '.' or '-' (got ${JSON.stringify(def.name)})`);
  }
  if (typeof def.description !== 'string') throw new TypeError(`defineTool '${def.name}': description must be a string`);
  if (typeof def.run !== 'function') throw new TypeError(`defineTool '${def.name}': run must be a function`);
  const parameters = def.parameters ?? { type: 'object', properties: {} };
  if (typeof parameters !== 'object' || parameters.type !== 'object') {
    throw new TypeError(`defineTool '${def.name}': parameters must be a JSON Schema with type "object"`);
  }
  let check;
  try {
    check = validator().compile(parameters);
  } catch (e) {
    throw new TypeError(`defineTool '${def.name}': invalid parameters schema: ${(e as Error).message}`);
  }
  const schema: ToolSchema = { type: 'function', function: { name: def.name, description: def.description, parameters } };
  return {
    schema,
    async run(args, options) {
      if (!check(args)) {
        const msgs = (check.errors ?? []).map(describeArgError);
        return { content: `Error: invalid arguments for ${def.name}: ${msgs.join('; ')}`, error: true };
      }
      try {
        const out = await def.run(args as A, options);
        if (typeof out === 'string') return { content: out, error: false };
        if (out && typeof out === 'object' && typeof out.content === 'string') return { content: out.content, error: Boolean(out.error) };
        return { content: out === undefined ? '' : JSON.stringify(out), error: false };
      } catch (e) {
        return { content: `Error: ${e instanceof Error ? e.message : String(e)}`, error: true };
      }
    },
  };
}

/** Whether a value looks like a Tool (what a `./tools.ts#name` export must be). */
export function isTool(value: unknown): value is Tool {
  const v = value as Tool;
  return Boolean(v && typeof v === 'object' && typeof v.run === 'function' && v.schema?.type === 'function' && typeof v.schema.function?.name === 'string');
}
