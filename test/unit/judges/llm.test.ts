// builtin:llm_judge: verdicts read from what graders write, and the judge with a real grader
// (the tiny model, scripted by an adapter to answer these grading prompts) served over HTTP
// and run in-process, alone and combined with the math rule.
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { closeGraders, graderMessages, parseVerdict, type LlmJudgeDetails } from '../../../trainer/src/judges/llm';
import { builtinJudge } from '../../../trainer/src/judges/registry';
import type { JudgeInput } from '../../../trainer/src/judges/types';
import type { OnnxChatBackend } from '../../../trainer/src/model/backend';
import { MODEL, openLocal, scriptedAdapter, serve, type Served } from '../serve/fixtures';

describe('builtin:llm_judge', function () {
  this.timeout(180_000);

  describe('parseVerdict', () => {
    const cases: [string, boolean | null][] = [
      ['The answer 75 equals the reference.\nVERDICT: CORRECT', true],
      ['**Verdict:** INCORRECT', false],
      ['Verdict: the answer is not correct.', false],
      ["The student's answer isn't right.\nFinal verdict: wrong", false],
      ['Final verdict: correct', true],
      ['VERDICT: CORRECT\nHmm, 75 is not 57 after all.\nVERDICT: INCORRECT', false],
      ['Grade: 0', false],
      ['Grade: 1', true],
      ['Both are 3/4. [[CORRECT]]', true],
      ['So the verdict is \\boxed{\\text{incorrect}}', false],
      ['```json\n{"verdict": "correct", "reason": "same value"}\n```', true],
      ['{"is_correct": false}', false],
      ['{"score": 1}', true],
      ['They agree.\nYes.', true],
      ['Incorrect', false],
      ['The answer is 12.', null],
      ['I cannot tell from this.', null],
      ['', null],
    ];
    for (const [text, want] of cases) {
      it(`${JSON.stringify(text).slice(0, 60)} → ${want}`, () => assert.equal(parseVerdict(text).correct, want));
    }
    it('keeps the words it read the verdict from', () => {
      assert.deepEqual(parseVerdict('Same value.\nVERDICT: CORRECT'), { correct: true, evidence: 'VERDICT: CORRECT' });
    });
  });

  it('refuses options it cannot use, naming them', () => {
    assert.throws(() => builtinJudge('builtin:llm_judge', { mode: 'vote' }), /judge\.options\.mode: expected one of llm, math_then_llm, math_or_llm, got "vote"/);
    assert.throws(() => builtinJudge('builtin:llm_judge', { rubric: 'Grade {question}' }), /judge\.options\.rubric: the rubric prompt must contain \{answer\}/);
    assert.throws(() => builtinJudge('builtin:llm_judge', { backend: 'vllm' }), /judge\.options\.backend: expected "openai" or "onnx", got "vllm"/);
  });

  describe('with a real grader', () => {
    const task = { id: 't1', question: 'Tim has 48 marbles and finds 27 more. How many does he have?', reference: '75', features: {} };
    const RUBRIC = 'Question: {question}\nReference: {reference}\nAnswer: {answer}\nSame value? End with VERDICT: CORRECT or VERDICT: INCORRECT.';
    const scripts = [
      { answer: 'seventy-five marbles', text: 'Seventy-five is 75.\nVERDICT: CORRECT' },
      { answer: 'eighty marbles', text: 'Eighty is not 75.\nVERDICT: INCORRECT' },
      { answer: 'The answer is 76.', text: '76 is not 75.\nVERDICT: INCORRECT' },
      { answer: 'I do not know', text: 'Hard to say.' },
    ];
    let local: OnnxChatBackend;
    let adapter: string;
    let server: Served;

    before(async () => {
      local = await openLocal();
      adapter = await scriptedAdapter(local, scripts.map((s) => ({ messages: graderMessages({ rubric: RUBRIC }, task, s.answer), text: s.text })));
      server = await serve([MODEL, '--adapter', adapter, '--port', '0']);
    });
    after(async () => {
      await closeGraders();
      await server?.stop();
      await local?.close();
      if (adapter) rmSync(adapter, { recursive: true, force: true });
    });

    const input = (final_answer: string): JudgeInput => ({ task, final_answer, messages: [], turns: [], tool_calls: [], flags: [] });

    for (const kind of ['openai', 'onnx'] as const) {
      const grader = () => (kind === 'openai' ? { backend: 'openai', base_url: server.url, model: server.model } : { backend: 'onnx', model: MODEL, adapter });

      it(`${kind}: math_then_llm lets the rule decide what it can read and asks the grader for the rest`, async () => {
        const judge = builtinJudge('builtin:llm_judge', { mode: 'math_then_llm', rubric: RUBRIC, ...grader() });
        const byRule = await judge(input('The answer is 75.'));
        assert.equal(byRule.is_success, true);
        const ruleDetails = byRule.details as LlmJudgeDetails;
        assert.equal(ruleDetails.decided_by, 'math');
        assert.equal(ruleDetails.grader, undefined);

        const words = await judge(input('seventy-five marbles'));
        assert.deepEqual([words.reward, words.is_success, words.parts], [1, true, { answer: 1 }]);
        const d = words.details as LlmJudgeDetails;
        assert.equal(d.decided_by, 'llm');
        assert.equal(d.rule?.correct, false);
        assert.equal(d.grader?.verdict, 'correct');
        assert.equal(d.grader?.reasoning, scripts[0].text);
        assert.equal(d.grader?.evidence, 'VERDICT: CORRECT');
        assert.ok(d.grader!.prompt_tokens > 0 && d.grader!.completion_tokens > 0);
        assert.match(d.grader!.model, kind === 'openai' ? /^openai:tiny-math\+/ : /^builtin:tiny-math$/);

        const wrong = await judge(input('eighty marbles'));
        assert.equal(wrong.is_success, false);
        assert.equal((wrong.details as LlmJudgeDetails).grader?.verdict, 'incorrect');
      });

      it(`${kind}: llm mode grades every answer; math_or_llm asks the grader only about answers the rule calls wrong`, async () => {
        const llm = builtinJudge('builtin:llm_judge', { mode: 'llm', rubric: RUBRIC, ...grader() });
        const r = await llm(input('seventy-five marbles'));
        assert.equal((r.details as LlmJudgeDetails).decided_by, 'llm');
        assert.equal((r.details as LlmJudgeDetails).rule, undefined);
        assert.equal(r.is_success, true);

        const either = builtinJudge('builtin:llm_judge', { mode: 'math_or_llm', rubric: RUBRIC, ...grader() });
        const right = await either(input('The answer is 75.'));
        assert.equal((right.details as LlmJudgeDetails).decided_by, 'math');
        const second = await either(input('The answer is 76.'));
        const d = second.details as LlmJudgeDetails;
        assert.equal(d.rule?.correct, false);
        assert.equal(d.decided_by, 'llm');
        assert.equal(second.is_success, false);
      });

      it(`${kind}: a grader that gives no verdict fails the judging with what it wrote`, async () => {
        const judge = builtinJudge('builtin:llm_judge', { mode: 'math_then_llm', rubric: RUBRIC, ...grader() });
        await assert.rejects(async () => judge(input('I do not know')), /^Error: the grader \(.+\) gave no verdict; it wrote: "Hard to say\."$/);
      });
    }
  });
});
