import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '../../../trainer/src/model/tokenizer';

const MODEL_DIR = join(__dirname, '../../../trainer/models/tiny-math');

describe('tokenizer (builtin:tiny-math files, @huggingface/tokenizers)', () => {
  const tok = Tokenizer.fromDir(MODEL_DIR);

  const transcript =
    '<|im_start|>system\nYou are a math assistant.<|im_end|>\n<|im_start|>user\nAna has 1204 apples. How many?<|im_end|>\n' +
    '<|im_start|>assistant\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "1204 * 3"}}\n</tool_call><|im_end|>\n' +
    '<|im_start|>user\n<tool_response>\n3612\n</tool_response><|im_end|>\n<|im_start|>assistant\nThe answer is 3612.<|im_end|>\n';

  it('round-trips a chat transcript, special tokens included', () => {
    const ids = tok.encode(transcript);
    assert.equal(tok.decode(ids), transcript);
    for (const special of ['<|im_start|>', '<|im_end|>', '<tool_call>', '</tool_call>', '<tool_response>', '</tool_response>']) {
      const id = tok.tokenId(special);
      assert.ok(id !== undefined, special);
      assert.deepEqual(tok.encode(special), [id], `${special} is one token`);
      assert.ok(ids.includes(id!), `${special} recognised inside text`);
    }
  });

  it('splits numbers into single digits', () => {
    const ids = tok.encode('1204');
    assert.deepEqual(ids.map((id) => tok.decode([id])), ['1', '2', '0', '4']);
  });

  it('drops special tokens but keeps tool markup when skipping specials', () => {
    const text = '<|im_start|>assistant\n<tool_call>\n{"name": "calculator"}\n</tool_call><|im_end|>';
    assert.equal(tok.decode(tok.encode(text), { skipSpecial: true }), 'assistant\n<tool_call>\n{"name": "calculator"}\n</tool_call>');
    assert.ok(tok.isSpecial(tok.tokenId('<|im_end|>')!));
    assert.ok(!tok.isSpecial(tok.tokenId('<tool_call>')!));
  });

  it('round-trips text outside the training alphabet byte by byte', () => {
    const text = 'Zoë paid 12,5 € — 日本語 🙂\ttab  two spaces';
    assert.equal(tok.decode(tok.encode(text)), text);
  });

  it('streams whole characters only, and the pieces add up to decode()', () => {
    const text = 'Émile 🙂 got 3 × 4 = 12 日本';
    const ids = tok.encode(text);
    const stream = tok.decodeStream();
    const pieces = ids.map((id) => stream.step(id));
    pieces.push(stream.flush());
    assert.equal(pieces.join(''), text);
    for (const p of pieces) assert.ok(!p.includes('\uFFFD'), `piece ${JSON.stringify(p)} has a broken character`);
    // 🙂 is four bytes, each its own byte-level token here: three steps must hold back.
    assert.ok(pieces.filter((p) => p === '').length >= 3);
  });

  it('streams with special tokens skipped', () => {
    const ids = tok.encode('<|im_start|>assistant\nThe answer is 7.<|im_end|>');
    const stream = tok.decodeStream({ skipSpecial: true });
    const text = ids.map((id) => stream.step(id)).join('') + stream.flush();
    assert.equal(text, 'assistant\nThe answer is 7.');
  });

  it('knows its vocabulary size, end-of-sequence and padding ids', () => {
    const maxAdded = Math.max(...tok.addedTokens.values());
    assert.equal(tok.vocabSize, maxAdded + 1);
    assert.ok(tok.eosIds.includes(tok.tokenId('<|im_end|>')!));
    assert.equal(tok.padId, tok.tokenId('<|endoftext|>'));
    assert.equal(tok.decode([]), '');
    assert.deepEqual(tok.encode(''), []);
  });

  describe('bad input', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'agent-tune-tok-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('names the missing file', () => {
      assert.throws(() => Tokenizer.fromDir(dir), (e: Error) => e.message.includes(join(dir, 'tokenizer.json')) && /not found/.test(e.message));
    });

    it('names a file that is not JSON', () => {
      copyFileSync(join(MODEL_DIR, 'tokenizer.json'), join(dir, 'tokenizer.json'));
      writeFileSync(join(dir, 'tokenizer_config.json'), '{"chat_template": ');
      assert.throws(() => Tokenizer.fromDir(dir), (e: Error) => e.message.includes(join(dir, 'tokenizer_config.json')) && /not valid JSON/.test(e.message));
    });

    it('rejects a tokenizer.json without a vocabulary', () => {
      writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'BPE' } }));
      assert.throws(() => Tokenizer.fromDir(dir), /model\.vocab/);
    });
  });
});
