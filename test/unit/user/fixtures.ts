// What the user-code host tests give a judge: one small task with its answer.
import type { JudgeInput } from '../../../trainer/src/judges/types';

export const input: JudgeInput = {
  task: { id: 't1', question: 'What is 2 + 3?', reference: '5', features: {} },
  final_answer: 'The answer is 5.',
  messages: [],
  turns: [],
  tool_calls: [],
  flags: [],
};
