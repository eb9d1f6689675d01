import * as assert from 'node:assert/strict';
import { pageRows, revealRow, visibleWindow } from '../../../media/virtual';

describe('viewer virtual window', () => {
  it('covers the viewport plus overscan', () => {
    assert.deepEqual(visibleWindow(0, 220, 22, 1000, 5), { start: 0, end: 15, offset: 0 });
    assert.deepEqual(visibleWindow(2200, 220, 22, 1000, 5), { start: 95, end: 115, offset: 95 * 22 });
  });

  it('clamps at the end and for out-of-range scroll positions', () => {
    const w = visibleWindow(1e9, 220, 22, 1000, 5);
    assert.equal(w.end, 1000);
    assert.equal(w.start, 1000 - 10 - 5);
    assert.deepEqual(visibleWindow(-50, 220, 22, 3, 5), { start: 0, end: 3, offset: 0 });
    assert.deepEqual(visibleWindow(0, 220, 22, 0), { start: 0, end: 0, offset: 0 });
  });

  it('draws a bounded number of rows for 100k rows anywhere', () => {
    for (const top of [0, 1234567, 22 * 99_990]) {
      const w = visibleWindow(top, 800, 22, 100_000);
      assert.ok(w.end - w.start <= Math.ceil(800 / 22) + 17, `${w.end - w.start} rows`);
      assert.ok(w.start * 22 <= Math.min(top, 100_000 * 22 - 800));
    }
  });

  it('reveals a row with the least scrolling', () => {
    assert.equal(revealRow(5, 0, 220, 22), 0); // already visible
    assert.equal(revealRow(20, 0, 220, 22), 21 * 22 - 220); // below: align bottom
    assert.equal(revealRow(3, 500, 220, 22), 66); // above: align top
    assert.equal(pageRows(220, 22), 9);
    assert.equal(pageRows(10, 22), 1);
  });
});
