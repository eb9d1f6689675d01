import { strict as assert } from 'node:assert';
import { calculate, calculatorTool } from '../../../trainer/src/tools/calculator';

function ok(expr: string, value: string): void {
  it(`${expr} = ${value}`, () => assert.deepEqual(calculate(expr), { ok: true, value }));
}
function fails(expr: string, pattern: RegExp, label = JSON.stringify(expr)): void {
  it(`${label} is refused`, () => {
    const r = calculate(expr);
    assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r)}`);
    if (!r.ok) assert.match(r.error, pattern);
  });
}

describe('calculator', () => {
  describe('integers and precedence', () => {
    ok('1 + 2', '3');
    ok('2 + 3 * 4', '14');
    ok('(2 + 3) * 4', '20');
    ok('10 - 4 - 3', '3');
    ok('100 / 10 / 5', '2');
    ok('2 * 3 + 4 * 5', '26');
    ok('-5', '-5');
    ok('--5', '5');
    ok('-(3 + 4)', '-7');
    ok('3 - -2', '5');
    ok('+7', '7');
    ok('((((1))))', '1');
    ok('1234', '1234');
    ok('0', '0');
    ok('-0', '0');
    ok('  12   *  3 ', '36');
  });

  describe('unicode operators and aliases', () => {
    ok('6 × 7', '42');
    ok('84 ÷ 2', '42');
    ok('50 − 8', '42');
    ok('2 ** 10', '1024');
  });

  describe('powers', () => {
    ok('2 ^ 10', '1024');
    ok('2 ^ 3 ^ 2', '512'); // right-associative: 2^(3^2)
    ok('-2 ^ 2', '-4'); // unary minus binds looser than ^
    ok('(-2) ^ 2', '4');
    ok('(-2) ^ 3', '-8');
    ok('2 ^ -1', '0.5');
    ok('3 ^ -2', '1/9');
    ok('(2/3) ^ 3', '8/27');
    ok('0 ^ 0', '1');
    ok('1 ^ 1000000000000', '1');
    ok('(-1) ^ 1000000000001', '-1');
    ok('2 ^ 3 * 2', '16');
    fails('2 ^ 0.5', /exponent must be an integer/);
    fails('0 ^ -1', /division by zero/);
  });

  describe('big integers', () => {
    ok('2 ^ 64', '18446744073709551616');
    ok('99999999999999999999 * 99999999999999999999', '9999999999999999999800000000000000000001');
    ok('2^100 - 2^100 + 1', '1');
    ok('123456789012345678901234567890 / 10', '12345678901234567890123456789');
    it('2^1000 has 302 digits', () => {
      const r = calculate('2^1000');
      assert.ok(r.ok);
      if (r.ok) assert.equal(r.value.length, 302);
    });
  });

  describe('rationals and decimals', () => {
    ok('7 / 3', '7/3');
    ok('-7 / 3', '-7/3');
    ok('7 / -3', '-7/3');
    ok('1 / 3 + 1 / 6', '0.5');
    ok('1 / 3 * 3', '1');
    ok('5 / 2', '2.5');
    ok('1 / 8', '0.125');
    ok('-1 / 8', '-0.125');
    ok('1 / 40', '0.025');
    ok('2.5 * 4', '10');
    ok('0.1 + 0.2', '0.3'); // exact, not 0.30000000000000004
    ok('.5 + .25', '0.75');
    ok('3. + 1', '4');
    ok('1.50', '1.5');
    ok('10 / 4', '2.5');
    ok('22 / 7', '22/7');
    ok('1e3', '1000');
    ok('2.5e-3', '0.0025');
    ok('1 / 1024', '0.0009765625');
  });

  describe('percent', () => {
    ok('15%', '0.15');
    ok('200 * 15%', '30');
    ok('50% * 50%', '0.25');
    ok('(10 + 5)%', '0.15');
    ok('12.5% * 80', '10');
    ok('100 - 20%', '99.8');
  });

  describe('thousands separators', () => {
    ok('1,234', '1234');
    ok('1,234,567 + 1', '1234568');
    ok('1,234.5 * 2', '2469');
    ok('1_000_000 / 4', '250000');
    fails('1,23', /unexpected ','/);
    fails('1,2345', /unexpected ','/);
    fails('1, 234', /unexpected ','/);
  });

  describe('errors', () => {
    fails('1 / 0', /^division by zero$/);
    fails('5 / (3 - 3)', /^division by zero$/);
    fails('1 / (2 - 2) * 0', /^division by zero$/);
    fails('', /empty expression/);
    fails('   ', /empty expression/);
    fails('1 +', /unexpected end of expression/);
    fails('* 3', /unexpected '\*' at position 1/);
    fails('(1 + 2', /missing '\)'/);
    fails('1 + 2)', /unmatched '\)' at position 6/);
    fails('2 3', /unexpected '3' at position 3/);
    fails('2 x 3', /unexpected 'x' at position 3/);
    fails('sqrt(4)', /unexpected 's' at position 1/);
    fails('import os', /unexpected 'i'/);
    fails('()', /unexpected '\)'/);
    fails('1 $ 2', /unexpected '\$'/);
    fails('('.repeat(1000) + '1' + ')'.repeat(1000), /nested too deeply/, '1000 nested parentheses');
    fails('-'.repeat(1000) + '1', /nested too deeply/, '1000 unary minus signs');
    fails('1+'.repeat(6000) + '1', /longer than 10000 characters/, 'a 12,001-character expression');
  });

  // How fast is the machine's business; what is asserted is that the size is estimated and the
  // expression refused before any digit is computed (computing them would take minutes).
  describe('huge exponents are refused before they are computed', function () {
    this.timeout(10_000);
    for (const expr of ['9^9^9', '2^1000000', '10^(10^10)', '(3/7)^999999', '2^2^2^2^2^2', '1e999999', '(2^100000)*(2^100000)']) {
      it(`${expr} is refused as too large`, () => {
        const r = calculate(expr);
        assert.equal(r.ok, false);
        if (!r.ok) assert.match(r.error, /too large/);
      });
    }
    ok('(2^30000) / (2^29999)', '2');
    it('stops an expression whose exact fractions are too costly to reduce, within its time budget', () => {
      const r = calculate('(3^20000 + 1) / (7^10000 + 3) + (5^13000 + 1) / (11^8000 + 7)');
      assert.deepEqual(r, { ok: false, error: 'expression too expensive to compute exactly' });
    });
    it('reports the size of a refused power', () => {
      assert.deepEqual(calculate('9^9^9'), { ok: false, error: 'exponent too large: the result would have about 3.7e8 digits' });
    });
  });

  describe('as a tool', () => {
    const tool = calculatorTool();
    const opts = { signal: new AbortController().signal, timeoutMs: 1000 };
    it('uses the built-in schema', () => assert.equal(tool.schema.function.name, 'calculator'));
    it('returns the value as content', async () => {
      assert.deepEqual(await tool.run({ expression: '(12 + 7) * 3' }, opts), { content: '57', error: false });
    });
    it('returns "Error: <message>" on failure', async () => {
      assert.deepEqual(await tool.run({ expression: '1/0' }, opts), { content: 'Error: division by zero', error: true });
    });
    it('reports a missing expression', async () => {
      assert.deepEqual(await tool.run({}, opts), { content: 'Error: empty expression', error: true });
    });
  });
});
