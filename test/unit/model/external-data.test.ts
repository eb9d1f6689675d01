import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXTERNAL, ExternalData, tensorBytes, type RawTensor } from '../../../trainer/src/model/external-data';

const tensor = (name: string): RawTensor => ({ name, dims: [], dataType: 1, externalData: [] });

describe('ONNX external data', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'agent-tune-external-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends tensors 64-byte aligned after what the file holds, and reads each back alone', () => {
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(100).fill(7));
    const data = new ExternalData(dir, 'w.bin', false);
    const [a, b] = [tensor('a'), { ...tensor('b'), rawData: new Uint8Array([1]) }];
    data.put(a, Uint8Array.of(1, 2, 3));
    data.put(b, Uint8Array.of(4, 5));
    data.close();
    assert.deepEqual(a.externalData.map((e) => e.value), ['w.bin', '128', '3']);
    assert.deepEqual(b.externalData.map((e) => e.value), ['w.bin', '192', '2']);
    assert.equal(b.dataLocation, EXTERNAL);
    assert.equal(b.rawData, undefined, 'the inline copy goes');
    assert.equal(statSync(join(dir, 'w.bin')).size, 194);
    assert.deepEqual([...readFileSync(join(dir, 'w.bin')).subarray(0, 100)], new Array(100).fill(7), 'what the file held stays');
    assert.deepEqual([...tensorBytes(a, dir)], [1, 2, 3]);
    assert.deepEqual([...tensorBytes(b, dir)], [4, 5]);
  });

  it('starts a fresh file empty', () => {
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(100));
    const data = new ExternalData(dir, 'w.bin', true);
    const t = tensor('t');
    data.put(t, Uint8Array.of(9));
    data.close();
    assert.equal(statSync(join(dir, 'w.bin')).size, 1);
    assert.deepEqual([...tensorBytes(t, dir)], [9]);
  });

  it('reads a tensor whose file is its own when the length is left out, as PyTorch writes it', () => {
    writeFileSync(join(dir, 'embed.weight'), Uint8Array.of(1, 2, 3, 4, 5));
    const t: RawTensor = { ...tensor('embed'), dataLocation: EXTERNAL, externalData: [{ key: 'location', value: 'embed.weight' }] };
    assert.deepEqual([...tensorBytes(t, dir)], [1, 2, 3, 4, 5]);
    const cut: RawTensor = { ...t, externalData: [...t.externalData, { key: 'offset', value: '2' }, { key: 'length', value: '9' }] };
    assert.throws(() => tensorBytes(cut, dir), /ends before the 9 bytes/);
  });

  it('reads inline data as raw bytes or float values', () => {
    assert.deepEqual([...tensorBytes({ ...tensor('r'), rawData: Uint8Array.of(3) }, dir)], [3]);
    assert.deepEqual([...new Float32Array(tensorBytes({ ...tensor('f'), floatData: [1.5] }, dir).buffer)], [1.5]);
    assert.equal(tensorBytes(tensor('none'), dir).length, 0);
  });
});
