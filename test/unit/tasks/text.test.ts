import { strict as assert } from 'node:assert';
import { invalidUtf8At, jsonErrorOffset } from '../../../trainer/src/tasks/text';

describe('text data faults', () => {
  it('finds the first byte of invalid UTF-8', () => {
    const ok = new TextEncoder().encode('héllo → 😀');
    assert.equal(invalidUtf8At(ok), -1);
    assert.equal(invalidUtf8At(new Uint8Array([0x61, 0xff, 0x62])), 1);
    assert.equal(invalidUtf8At(new Uint8Array([0x61, 0xc3])), 1, 'a sequence cut short');
    assert.equal(invalidUtf8At(new Uint8Array([0xc0, 0x80])), 0, 'an overlong form');
    assert.equal(invalidUtf8At(new Uint8Array([0xed, 0xa0, 0x80])), 0, 'a surrogate');
  });

  it('finds where JSON text stops being valid, agreeing with JSON.parse', () => {
    const cases: [string, number][] = [
      ['{"a": oops}', 6],
      ['{"a": 1,}', 8],
      ['{"a": "x"', 9],
      ['{"a": tru}', 9],
      ['[1, 2] x', 7],
      ['{"a": "\\q"}', 8],
    ];
    for (const [text, at] of cases) {
      assert.throws(() => JSON.parse(text));
      assert.equal(jsonErrorOffset(text), at, text);
    }
    assert.equal(jsonErrorOffset('{"a": [1, {"b": null}], "c": -1.5e3}'), 36);
  });
});
