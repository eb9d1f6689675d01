// Which Node.js runs the trainer under the debugger, checked with real executables.
import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEnough, resolveRuntime } from '../../../src/debug/runtime';

describe('debug runtime', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-tune-runtime-'));
    // A `node` that is too old: it answers --version like Node.js 18 does.
    writeFileSync(join(dir, 'node'), '#!/bin/sh\necho v18.20.0\n');
    chmodSync(join(dir, 'node'), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the node on PATH when it is new enough', () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = resolveRuntime(undefined, { PATH: `/nonexistent:${bin}` }, dir);
    assert.equal(r.command, join(bin, 'node'));
    assert.equal(r.version, process.version);
  });

  it("falls back to the editor's own runtime when PATH has no usable node", () => {
    for (const PATH of ['', dir]) {
      const r = resolveRuntime(undefined, { PATH }, dir);
      assert.equal(r.command, process.execPath);
      assert.match(r.description, /the runtime VS Code runs on/);
    }
  });

  it('says what to fix about a runtimeExecutable', () => {
    assert.throws(() => resolveRuntime('/nonexistent/node', {}, dir), /"runtimeExecutable": \/nonexistent\/node was not found/);
    assert.throws(() => resolveRuntime(join(dir, 'node'), {}, dir), /is Node\.js v18\.20\.0; the trainer needs 20\.19 or newer/);
    assert.equal(resolveRuntime(process.execPath, {}, dir).version, process.version);
  });

  it('compares versions against 20.19', () => {
    assert.deepEqual(['v20.18.3', 'v20.19.0', 'v21.0.0', 'v18.99.0', 'v22.1.0'].map(newEnough), [false, true, true, false, true]);
  });
});
