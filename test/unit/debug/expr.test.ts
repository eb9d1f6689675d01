// Conditions on rollout data and function breakpoint names, evaluated on a rollout's view
// exactly as the trainer's debug bridge does.
import * as assert from 'node:assert/strict';
import { parseBreakpoint, atPlace, holds } from '../../../trainer/src/debug/breakpoints';
import { reachedStep } from '../../../trainer/src/debug/bridge';
import { parseExpression, type Scope } from '../../../trainer/src/debug/expr';
import type { Position, RolloutView } from '../../../trainer/src/debug/protocol';
import { SCOPE_NAMES, scopeOf } from '../../../trainer/src/debug/scope';

function view(over: Partial<RolloutView> = {}): RolloutView {
  return {
    threadId: 1, id: 's0-debug-t1-0', step: 0, phase: 'debug', task_id: '17', group_id: 'g0-17', sample: 0,
    question: 'What is 2+2?', reference: '4', position: null, held: true, turns: [], messages: [], flags: [], tool_calls: 0, custom: [],
    ...over,
  };
}

const judged = view({
  position: { at: 'judged' },
  judge_input: { final_answer: '4', task: { id: '17', question: 'What is 2+2?', reference: '4' } },
  judged: { reward: 1, parts: { answer: 1, format: 0 }, success: true, final_answer: '4' },
  tool_calls: 0,
});

describe('debug conditions', () => {
  it('evaluates comparisons, logic, members and "in" on rollout data', () => {
    const s = scopeOf(judged);
    const ev = (t: string) => parseExpression(t, SCOPE_NAMES).evaluate(s);
    assert.equal(ev('reward == 1 && tool_calls == 0'), true);
    assert.equal(ev('reward < 1 || success'), true);
    assert.equal(ev('parts.answer + parts.format'), 1);
    assert.equal(ev("parts['answer'] == 1"), true);
    assert.equal(ev('task_id == 17'), true, 'a numeric string equals its number');
    assert.equal(ev("'format_error' in flags"), false);
    assert.equal(ev('!format_error && question.length > 3'), true);
    assert.equal(ev('reward > 0 ? "good" : "bad"'), 'good');
  });

  it('reads what the judge receives from the judge stop on: final_answer and task', () => {
    const task = { id: '17', question: 'What is 8+9?', reference: '17', features: { level: 2 } };
    const atJudge = view({ position: { at: 'judge' }, judge_input: { final_answer: 'The answer is 17.', task } });
    const ev = (t: string, v: RolloutView) => parseExpression(t, SCOPE_NAMES).evaluate(scopeOf(v));
    assert.equal(ev('final_answer', atJudge), 'The answer is 17.');
    assert.equal(ev('task.reference', atJudge), '17');
    assert.equal(ev('task.features.level', atJudge), 2);
    assert.throws(() => ev('final_answer', view({ position: { at: 'turn', turn: 0 } })), /final_answer is not known yet \(at turn; it is known from the judge stop on\)/);
    assert.throws(() => ev('task', view()), /task is not known yet/);
  });

  it('rejects unknown names, calls and prototype access before running anything', () => {
    assert.throws(() => parseExpression('rewrd == 1', SCOPE_NAMES), /unknown name "rewrd"; known: rollout_id/);
    assert.throws(() => parseExpression('process.exit(1)', SCOPE_NAMES), /function calls are not supported/);
    assert.throws(() => parseExpression('reward ==', SCOPE_NAMES), /cannot parse/);
    const s: Scope = () => ({ a: 1 });
    assert.equal(parseExpression('x.constructor').evaluate(s), null);
    assert.equal(parseExpression('x.__proto__').evaluate(s), null);
  });

  it('treats values that do not exist yet as false for breakpoints and as an error for the console', () => {
    const before = view({ position: { at: 'turn', turn: 0 } });
    const e = parseExpression('reward == 1', SCOPE_NAMES);
    assert.deepEqual(holds(e, scopeOf(before)), { value: false });
    assert.throws(() => e.evaluate(scopeOf(before)), /reward is not known yet \(at turn; it is known once the judge has run\)/);
    assert.deepEqual(holds(parseExpression('reward > "x"', SCOPE_NAMES), scopeOf(judged)).value, false);
    assert.match(holds(parseExpression('reward > "x"', SCOPE_NAMES), scopeOf(judged)).error!, /cannot order 1 and "x"/);
  });
});

describe('function breakpoints', () => {
  const call = { id: 'c1', name: 'execute_python_code', arguments: { code: 'print(1)' } };
  const places: [Position, string[]][] = [
    [{ at: 'turn', turn: 0 }, []],
    [{ at: 'sampled', turn: 0 }, ['format_error']],
    [{ at: 'tool', turn: 0, call }, []],
    [{ at: 'tool_result', turn: 0, call, content: 'Error', error: true }, ['tool_error']],
    [{ at: 'judge' }, []],
    [{ at: 'judged' }, []],
  ];
  const where = (name: string) => {
    const { breakpoint, status } = parseBreakpoint({ id: 1, name });
    assert.ok(status.verified, status.message);
    return places.filter(([p, fresh]) => atPlace(breakpoint!.where, p, fresh as never)).map(([p]) => p.at);
  };

  it('stop at their place', () => {
    assert.deepEqual(where('turn'), ['turn']);
    assert.deepEqual(where('judge'), ['judge']);
    assert.deepEqual(where('tool'), ['tool']);
    assert.deepEqual(where('tool:python'), ['tool'], 'the built-in ref name');
    assert.deepEqual(where('tool:execute_python_code'), ['tool'], 'the function name');
    assert.deepEqual(where('tool:calculator'), []);
    assert.deepEqual(where('format_error'), ['sampled']);
    assert.deepEqual(where('tool_error'), ['tool_result']);
  });

  it('explain a name that is neither a place nor a condition', () => {
    const { status } = parseBreakpoint({ id: 3, name: 'judgee' });
    assert.equal(status.verified, false);
    assert.match(status.message!, /"judgee" is not a place, flag or condition; use one of turn, judge, tool, tool:<name>, format_error/);
    assert.match(parseBreakpoint({ id: 4, name: 'judge', hitCondition: 'often' }).status.message!, /hit count "often"/);
  });

  it('step over one turn: to the next turn, else to the judge, then to the reward', () => {
    assert.equal(reachedStep({ at: 'turn', turn: 0 }, { at: 'sampled', turn: 0 }), false);
    assert.equal(reachedStep({ at: 'turn', turn: 0 }, { at: 'tool', turn: 0, call }), false);
    assert.equal(reachedStep({ at: 'turn', turn: 0 }, { at: 'turn', turn: 1 }), true);
    assert.equal(reachedStep({ at: 'tool', turn: 1, call }, { at: 'judge' }), true);
    assert.equal(reachedStep({ at: 'judge' }, { at: 'judged' }), true);
  });
});
