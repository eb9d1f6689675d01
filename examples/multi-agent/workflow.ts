// Two agents sharing one policy, as in AT-GRPO: a `tool_agent` that computes with the
// calculator, and a `reasoner` that reads its work and states the answer. Every turn records
// its role, so `algorithm.group_by_role` normalises advantages within each role.
import { defineWorkflow, type Message } from 'agent-tune';

const TOOL_AGENT = 'You are a math assistant. Solve the problem. You may call the calculator tool. End with "The answer is N."';
const REASONER = 'You check a colleague\'s work on a math problem and give the final result. End with "The answer is N."';

export const workflow = defineWorkflow(async (ctx) => {
  const work: Message[] = [
    { role: 'system', content: TOOL_AGENT },
    { role: 'user', content: ctx.task.question },
  ];
  // The tool agent works until it stops calling tools, leaving one turn for the reasoner.
  while (ctx.turns < ctx.maxTurns - 1) {
    const turn = await ctx.chat(work, { role: 'tool_agent' });
    work.push({ role: 'assistant', content: turn.content, ...(turn.tool_calls.length ? { tool_calls: turn.tool_calls } : {}) });
    if (turn.format_error) {
      work.push(ctx.formatErrorMessage(turn.format_error));
      continue;
    }
    if (turn.tool_calls.length === 0) break;
    for (const call of turn.tool_calls) work.push(await ctx.callTool(call, { role: 'tool_agent' }));
  }
  const notes = work
    .slice(2)
    .map((m) => (m.role === 'tool' ? `calculator: ${m.content}` : m.content))
    .filter(Boolean)
    .join('\n');
  const review: Message[] = [
    { role: 'system', content: REASONER },
    { role: 'user', content: `${ctx.task.question}\n\nColleague's work:\n${notes}` },
  ];
  const final = await ctx.chat(review, { role: 'reasoner', tools: false });
  ctx.emit('handoff', { notes_chars: notes.length });
  return { messages: [...work, ...review.slice(1), { role: 'assistant', content: final.content }], final_answer: final.content };
});
