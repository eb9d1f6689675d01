// The text a judge reads as the model's answer: the workflow's final answer, or else the last
// assistant message.
import type { JudgeInput } from './types';

export function answerText(input: Pick<JudgeInput, 'final_answer' | 'messages'>): string | null {
  if (typeof input.final_answer === 'string' && input.final_answer.trim()) return input.final_answer;
  const last = [...(input.messages ?? [])].reverse().find((m) => m.role === 'assistant' && m.content.trim());
  return last ? last.content : null;
}
