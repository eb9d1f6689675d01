// The JSON schemas of the built-in tools. The embedded model is trained on transcripts that
// show exactly these, so they change only together with a rebuild of builtin:tiny-math.
import type { ToolSchema } from '../model/types';

export const CALCULATOR_TOOL: ToolSchema = {
  type: 'function',
  function: {
    name: 'calculator',
    description: 'Evaluate an arithmetic expression exactly. Supports + - * / ^, parentheses and percent.',
    parameters: {
      type: 'object',
      properties: { expression: { type: 'string', description: 'The expression, for example "(12 + 7) * 3".' } },
      required: ['expression'],
    },
  },
};

export const PYTHON_TOOL: ToolSchema = {
  type: 'function',
  function: {
    name: 'execute_python_code',
    description: 'Run Python 3 code and return what it prints. Use print() to see results.',
    parameters: {
      type: 'object',
      properties: { code: { type: 'string', description: 'Python source code.' } },
      required: ['code'],
    },
  },
};
