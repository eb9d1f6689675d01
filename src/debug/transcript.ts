// The read-only documents behind a rollout's stack frames: one per turn (what the model was
// given, what it wrote, the tools it called), and one for the judge. Model output is shown
// as plain text, exactly as written.
import type { Message } from '../../trainer/src/run/events';
import type { RolloutView, TurnView } from '../../trainer/src/debug/protocol';

export interface Transcript {
  text: string;
  /** 1-based line the frame points at. */
  line: number;
}

class Lines {
  readonly lines: string[] = [];
  add(...text: string[]): number {
    const at = this.lines.length + 1;
    for (const t of text) this.lines.push(...t.split(/\r?\n/));
    return at;
  }
  get text(): string {
    return this.lines.join('\n') + '\n';
  }
}

function header(out: Lines, v: RolloutView, title: string): void {
  out.add(`${title} — rollout ${v.id}`);
  out.add(`task ${v.task_id} · sample ${v.sample} · ${v.phase}${v.phase === 'debug' ? '' : ` step ${v.step}`}${v.reference !== null ? ` · reference ${v.reference}` : ''}`);
  out.add('');
}

function message(out: Lines, m: Message, label?: string): number {
  const name = m.role === 'tool' ? `tool${m.name ? ` ${m.name}` : ''}${m.tool_call_id ? ` (${m.tool_call_id})` : ''}` : m.role;
  const at = out.add(`[${name}]${label ? ` ${label}` : ''}`);
  out.add(m.content === '' ? '(empty)' : m.content);
  for (const c of m.tool_calls ?? []) out.add(`→ ${c.name}(${JSON.stringify(c.arguments)})  id ${c.id}`);
  out.add('');
  return at;
}

function rule(out: Lines, text: string): number {
  return out.add(`──── ${text} ${'─'.repeat(Math.max(4, 60 - text.length))}`);
}

/** Turn `index`: its prompt, its output and its tool calls. The line is the output (or the place held). */
export function turnTranscript(v: RolloutView, index: number): Transcript {
  const out = new Lines();
  const turn: TurnView | undefined = v.turns[index];
  header(out, v, `turn ${index}${turn ? ` · ${turn.role}` : ''}`);
  const prompt = turn ? turn.prompt : (v.next_prompt ?? v.messages);
  rule(out, `prompt: ${prompt.length} message${prompt.length === 1 ? '' : 's'}`);
  for (const m of prompt) message(out, m);
  if (!turn) {
    const line = rule(out, `turn ${index}: the model samples next`);
    return { text: out.text, line };
  }
  rule(out, `turn ${index} · ${turn.completion_tokens} tokens · ${Math.round(turn.duration_ms)} ms${turn.flags.length ? ` · ${turn.flags.join(', ')}` : ''}`);
  let line = message(out, turn.message);
  if (turn.format_error) out.add(`format error: ${turn.format_error}`, '');
  const p = v.position;
  for (const t of turn.tools) {
    const at = rule(out, `${t.call.name} (${t.call.id})`);
    out.add(`arguments: ${JSON.stringify(t.call.arguments, null, 2)}`);
    if (t.content !== undefined) out.add(`${t.error ? 'error' : 'result'}${t.duration_ms !== undefined ? ` (${Math.round(t.duration_ms)} ms)` : ''}:`, t.content);
    else out.add('(not run yet)');
    out.add('');
    if (p && (p.at === 'tool' || p.at === 'tool_result') && p.turn === index && p.call.id === t.call.id) line = at;
  }
  return { text: out.text, line };
}

/** The whole conversation and what the judge made of it. */
export function judgeTranscript(v: RolloutView): Transcript {
  const out = new Lines();
  header(out, v, 'judge');
  rule(out, `conversation: ${v.messages.length} messages`);
  for (const m of v.messages) message(out, m);
  const line = rule(out, v.judged ? 'judged' : 'the judge runs next');
  if (v.judged) {
    out.add(`reward: ${v.judged.reward}`, `success: ${v.judged.success}`);
    for (const [k, x] of Object.entries(v.judged.parts)) out.add(`  ${k}: ${x}`);
    out.add(`final answer: ${v.judged.final_answer ?? '(none)'}`);
  }
  if (v.flags.length) out.add(`flags: ${v.flags.join(', ')}`);
  if (v.error) out.add('', `${v.error.source} error: ${v.error.message}`, ...(v.error.stack ? [v.error.stack] : []));
  return { text: out.text, line };
}
