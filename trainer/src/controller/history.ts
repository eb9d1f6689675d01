// The append-only rule: each model request of a rollout must repeat the previous request's
// messages verbatim, then the model's answer, then whatever came since (tool results, a new
// user message). The gateway merges a rollout's calls into one training sequence only when
// each prompt extends the previous prompt and response token for token; a workflow that
// edits, drops or reorders earlier messages splits the rollout into separate sequences.
import { formatAssistantToolCalls } from '../model/chat';
import type { Message } from '../run/events';

const TOOL_CALL_BLOCK = /\s*<tool_call>[\s\S]*?<\/tool_call>/g;

/** An assistant message as the text the model wrote: content, then its tool calls as markup. */
function assistantText(m: Message): string {
  if (!m.tool_calls?.length) return m.content.trim();
  return formatAssistantToolCalls(m.content.replace(TOOL_CALL_BLOCK, '').trim(), m.tool_calls).trim();
}

/** The same tool calls, field for field: the common case, without rendering the markup. */
function sameCalls(a: Message, b: Message): boolean {
  if (!a.tool_calls?.length || !b.tool_calls?.length) return !a.tool_calls?.length && !b.tool_calls?.length;
  return JSON.stringify(a.tool_calls) === JSON.stringify(b.tool_calls);
}

function same(a: Message, b: Message): boolean {
  if (a.role !== b.role) return false;
  if (a.role === 'assistant') return (a.content === b.content && sameCalls(a, b)) || assistantText(a) === assistantText(b);
  return a.content === b.content && a.tool_call_id === b.tool_call_id;
}

function describe(m: Message | undefined): string {
  if (!m) return 'nothing';
  const text = m.role === 'assistant' ? assistantText(m) : m.content;
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return `${m.role} ${JSON.stringify(short)}`;
}

/**
 * Why `next` does not extend `previous` followed by the model's answer `answer` (its raw
 * text), or undefined when it does.
 */
export function historyBreak(previous: Message[], answer: string, next: Message[]): string | undefined {
  for (let i = 0; i < previous.length; i++) {
    if (!next[i] || !same(previous[i], next[i])) {
      return `message ${i} was ${describe(previous[i])} in the previous request and is ${describe(next[i])} now`;
    }
  }
  const reply = next[previous.length];
  if (!reply || reply.role !== 'assistant' || assistantText(reply) !== answer.trim()) {
    return `message ${previous.length} should be the model's previous answer ${describe({ role: 'assistant', content: answer })}, but is ${describe(reply)}`;
  }
  return undefined;
}

/** Follows one rollout's requests; reports the first one that rewrites history. */
export class HistoryCheck {
  private previous: Message[] | undefined;
  private answered: string | undefined;
  private turn = 0;
  /** The first break found, if any. */
  broken: string | undefined;

  /** A new request; returns a message the first time the rule is broken. */
  request(messages: Message[]): string | undefined {
    let found: string | undefined;
    if (this.previous && this.answered !== undefined && !this.broken) {
      const why = historyBreak(this.previous, this.answered, messages);
      if (why) found = this.broken = `turn ${this.turn} does not extend turn ${this.turn - 1}: ${why}`;
    }
    this.previous = messages.map((m) => ({ ...m }));
    this.answered = undefined;
    this.turn++;
    return found;
  }

  /** The model's answer to the last request, as raw text. */
  answer(text: string): void {
    this.answered = text;
  }
}
