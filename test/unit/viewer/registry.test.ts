import * as assert from 'node:assert/strict';
import { PanelRegistry } from '../../../src/viewer/registry';

describe('viewer panel registry', () => {
  it('F5 again on a config moves its panel to the new run; another config or run gets its own', () => {
    const r = new PanelRegistry<string>();
    assert.deepEqual(r.place('/runs/a1', '/w/a.tune.yaml'), { kind: 'new' });
    r.set('panel-a', '/runs/a1', '/w/a.tune.yaml');
    // The same config again, a new run: the same panel, moved.
    assert.deepEqual(r.place('/runs/a2', '/w/a.tune.yaml'), { kind: 'reuse', panel: 'panel-a' });
    r.set('panel-a', '/runs/a2');
    assert.equal(r.get('/runs/a2'), 'panel-a');
    assert.equal(r.get('/runs/a1'), undefined, 'the earlier run no longer has a panel');
    // The launch stays with the panel after a move.
    assert.deepEqual(r.place('/runs/a3', '/w/a.tune.yaml'), { kind: 'reuse', panel: 'panel-a' });
    // Another config, or a run opened by hand, opens a new panel.
    assert.deepEqual(r.place('/runs/b1', '/w/b.tune.yaml'), { kind: 'new' });
    assert.deepEqual(r.place('/runs/a1'), { kind: 'new' });
    r.set('panel-old', '/runs/a1');
    // A run that has a panel is shown there, whatever the launch.
    assert.deepEqual(r.place('/runs/a1', '/w/a.tune.yaml'), { kind: 'shown', panel: 'panel-old' });
    assert.deepEqual(r.panels().sort(), ['panel-a', 'panel-old']);
  });

  it('forgets a closed panel, so the next F5 opens a new one', () => {
    const r = new PanelRegistry<string>();
    r.set('p', '/runs/a1', '/w/a.tune.yaml');
    r.delete('p');
    assert.deepEqual(r.place('/runs/a2', '/w/a.tune.yaml'), { kind: 'new' });
    assert.equal(r.get('/runs/a1'), undefined);
    assert.deepEqual(r.panels(), []);
  });
});
