// The chat transcripts builtin:tiny-math is trained on, built from the same prompt, tool schema,
// tool-call markup and calculator the ReAct workflow uses at run time.
import { REACT_SYSTEM_PROMPT, ANSWER_PREFIX } from '../../trainer/src/agent/prompts';
import { CALCULATOR_TOOL } from '../../trainer/src/tools/schemas';
import { calculate } from '../../trainer/src/tools/calculator';
import { formatToolCall } from '../../trainer/src/model/chat';
import { rng, SCENARIOS, type ArithProblem } from '../../trainer/src/tasks/arith';
import type { Message } from '../../trainer/src/run/events';

export const TOOLS = [CALCULATOR_TOOL];

/**
 * How often the model is shown calling the calculator, by scenario: half the scenarios lean to
 * the tool, half to answering at once. Greedy decoding then follows the lean (about half the
 * problems use the tool) and sampling at temperature 1 mixes both, which leaves RL a clear
 * signal: the calls succeed, the guesses on large numbers do not.
 */
export const TOOL_RATE: readonly number[] = SCENARIOS.map((_, i) => (i % 2 === 0 ? 0.8 : 0.2));

export function prompt(question: string): Message[] {
  return [
    { role: 'system', content: REACT_SYSTEM_PROMPT },
    { role: 'user', content: question },
  ];
}

export function finalAnswer(value: string): string {
  return `${ANSWER_PREFIX}${value}.`;
}

/** The training transcript of a problem; `seed` decides whether this one uses the tool. */
export function transcript(p: ArithProblem, seed: number): Message[] {
  const useTool = rng((seed * 0x27d4eb2f + Number(p.id.replace(/\D/g, '') || 0) * 0x165667b1) >>> 0)() < TOOL_RATE[p.scenario];
  const messages = prompt(p.question);
  if (!useTool) {
    messages.push({ role: 'assistant', content: finalAnswer(String(p.value)) });
    return messages;
  }
  const call = { id: 'call_0', name: 'calculator', arguments: { expression: p.expression } };
  const result = calculate(p.expression);
  if (!result.ok || result.value !== String(p.value)) {
    throw new Error(`problem ${p.id}: calculator gives ${JSON.stringify(result)} for ${p.expression}, expected ${p.value}`);
  }
  messages.push(
    { role: 'assistant', content: formatToolCall(call), tool_calls: [call] },
    { role: 'tool', content: result.value, tool_call_id: call.id, name: call.name },
    { role: 'assistant', content: finalAnswer(result.value) },
  );
  return messages;
}
