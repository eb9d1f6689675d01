// The built-in ReAct workflow's prompt. builtin:tiny-math is trained on transcripts with this
// exact system prompt and answer form, so they change only together with a model rebuild.

export const REACT_SYSTEM_PROMPT =
  'You are a math assistant. Solve the problem. You may call the calculator tool. ' +
  'End with "The answer is N."';

/** The form the final answer takes; the math judges also understand \\boxed{} and ####. */
export const ANSWER_PREFIX = 'The answer is ';
