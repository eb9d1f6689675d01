// The math-agent example's judge: the last number of the final answer against the reference.
// Edit it, then "Re-judge with the current judge" in the run viewer to see what changes.
import { defineJudge } from 'agent-tune';

function lastNumber(text: string): number | null {
  const matches = text.replace(/(\d),(?=\d{3})/g, '$1').match(/-?\d+(?:\.\d+)?/g);
  return matches ? Number(matches[matches.length - 1]) : null;
}

export const judge = defineJudge(({ final_answer, task, tool_calls }) => {
  const answer = lastNumber(final_answer ?? '');
  const reference = Number(task.reference);
  const correct = answer !== null && Math.abs(answer - reference) <= 1e-6 * Math.max(1, Math.abs(reference));
  return {
    reward: correct ? 1 : 0,
    is_success: correct,
    parts: { answer: correct ? 1 : 0 },
    details: { answer, reference, used_calculator: tool_calls.some((c) => c.name === 'calculator') },
  };
});
