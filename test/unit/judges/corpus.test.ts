// builtin:math against its own case corpus (corpus.ts): agreement by family, printed, and no
// false accepts anywhere.
import { strict as assert } from 'node:assert';
import { checkMath } from '../../../trainer/src/judges/math';
import { warmParser } from '../../../trainer/src/judges/math/tree';
import { CORPUS } from './corpus';

describe('builtin:math case corpus', () => {
  before(function () {
    this.timeout(60_000);
    warmParser();
  });

  it('has at least 600 cases, with both verdicts in every family', () => {
    const total = Object.values(CORPUS).reduce((n, c) => n + c.length, 0);
    assert.ok(total >= 600, `${total} cases`);
    for (const [family, cases] of Object.entries(CORPUS)) {
      assert.ok(cases.some((c) => c[2]) && cases.some((c) => !c[2]), `${family} needs both verdicts`);
    }
  });

  it('agrees on at least 98% of each family, with no false accepts', function () {
    this.timeout(120_000);
    const rows: string[] = [];
    const misses: string[] = [];
    let agreeAll = 0;
    let totalAll = 0;
    let falseAccepts = 0;
    const lowFamilies: string[] = [];
    for (const [family, cases] of Object.entries(CORPUS)) {
      let agree = 0;
      let fa = 0;
      let undecided = 0;
      for (const [gold, pred, accept] of cases) {
        const v = checkMath(gold, pred);
        if (v.undecided) undecided++;
        if (v.correct === accept) agree++;
        else {
          if (v.correct) fa++;
          misses.push(`${family}: ${JSON.stringify(gold)} vs ${JSON.stringify(pred)}: expected ${accept ? 'accept' : 'reject'}, got ${v.correct ? 'accept' : v.undecided ? 'undecided' : 'reject'} (${v.method}: ${v.why})`);
        }
      }
      rows.push(`${family.padEnd(14)} ${String(agree).padStart(4)}/${String(cases.length).padEnd(4)} ${((100 * agree) / cases.length).toFixed(1).padStart(6)}%   false accepts ${fa}   undecided ${undecided}`);
      agreeAll += agree;
      totalAll += cases.length;
      falseAccepts += fa;
      if (agree / cases.length < 0.98) lowFamilies.push(family);
    }
    rows.push(`${'all'.padEnd(14)} ${String(agreeAll).padStart(4)}/${String(totalAll).padEnd(4)} ${((100 * agreeAll) / totalAll).toFixed(1).padStart(6)}%   false accepts ${falseAccepts}`);
    console.log(`      ${rows.join('\n      ')}`);
    if (misses.length) console.log(`      misses:\n        ${misses.join('\n        ')}`);
    assert.equal(falseAccepts, 0, misses.join('\n'));
    assert.deepEqual(lowFamilies, [], 'families below 98% agreement');
  });
});
