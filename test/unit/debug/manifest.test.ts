// package.json's `contributes.debuggers` entry is src/debug/launch.ts, verbatim; the adapter
// checks launch configurations with the same file.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkLaunchArgs, debuggerContribution, launchAttributes } from '../../../src/debug/launch';

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));

describe('agent-tune debugger contribution', () => {
  it('package.json holds exactly the contribution src/debug/launch.ts defines', () => {
    const entries = (manifest.contributes.debuggers as { type: string }[]).filter((d) => d.type === debuggerContribution.type);
    assert.equal(entries.length, 1, 'one agent-tune debugger');
    assert.deepEqual(entries[0], JSON.parse(JSON.stringify(debuggerContribution)), 'update contributes.debuggers in package.json from src/debug/launch.ts');
  });

  it('activates for its debug configurations', () => {
    for (const e of ['onDebugResolve:agent-tune', 'onDebugDynamicConfigurations:agent-tune']) assert.ok(manifest.activationEvents.includes(e), e);
  });

  it('every initial configuration and snippet uses only declared attributes and passes the launch check', () => {
    const declared = new Set(['type', 'request', 'name', ...Object.keys(launchAttributes.properties)]);
    const bodies = [...debuggerContribution.initialConfigurations, ...debuggerContribution.configurationSnippets.map((s) => s.body)];
    for (const body of bodies) {
      for (const key of Object.keys(body)) assert.ok(declared.has(key), `${key} is declared`);
      assert.equal(checkLaunchArgs(body as never), undefined);
    }
  });

  it('names what to fix in a bad launch configuration', () => {
    assert.match(checkLaunchArgs({})!, /set "config" to a \*\.tune\.yaml file/);
    assert.match(checkLaunchArgs({ config: 'a.tune.yaml', mode: 'fit' as never })!, /"mode" must be "debug", "train", "eval" or "controller"/);
    assert.match(checkLaunchArgs({ config: 'a.tune.yaml', mode: 'controller' })!, /"mode": "controller" needs "gateway"/);
    assert.match(checkLaunchArgs({ config: 'a.tune.yaml', mode: 'controller', gateway: 'http://gw:8080', keyEnv: 'MY KEY' })!, /"keyEnv" must be the name of an environment variable/);
    assert.equal(checkLaunchArgs({ config: 'a.tune.yaml', mode: 'controller', gateway: 'http://gw:8080', keyEnv: 'MY_KEY' }), undefined);
    assert.match(checkLaunchArgs({ config: 'a.tune.yaml', tasks: 0 })!, /"tasks" must be a positive whole number/);
    assert.match(checkLaunchArgs({ config: 'a.tune.yaml', env: { A: 1 as never } })!, /"env" must map names to strings/);
  });
});
