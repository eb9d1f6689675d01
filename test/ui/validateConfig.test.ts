// Validate Config as a person runs it: open the file, run the command from the palette, read
// the notification. Runs outside VS Code, driving the workbench in Chromium.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../host/paths';
import { withWorkbench } from '../host/workbench';
import { copyWorkspace } from '../host/workspace';

const BROKEN = 'name: broken\ntasks:\n  train:\n    path: builtin:arith/train\nrollout:\n  group_size: many\nalgoritm:\n  type: grpo\n';

describe('Validate Config in the workbench', () => {
  let workspace: ReturnType<typeof copyWorkspace>;
  beforeEach(() => {
    workspace = copyWorkspace(path.join(repoRoot, 'examples'));
  });
  afterEach(() => workspace.remove());

  it('reports the problems of a broken config in a notification', async () => {
    fs.writeFileSync(path.join(workspace.folder, 'broken.tune.yaml'), BROKEN);
    await withWorkbench(
      workspace.folder,
      async (workbench) => {
        await workbench.openFile('broken.tune.yaml');
        await workbench.runCommand('Agent Tune: Validate Config');
        await workbench.notification('2 problems in broken.tune.yaml');
        await workbench.screenshot('validate-config-broken');
      },
      { label: 'validate-config-broken' },
    );
  });

  it('says a valid config is valid', async () => {
    await withWorkbench(
      workspace.folder,
      async (workbench) => {
        await workbench.openFile('math-agent/math.tune.yaml');
        await workbench.runCommand('Agent Tune: Validate Config');
        await workbench.notification('math-agent/math.tune.yaml is valid');
        await workbench.screenshot('validate-config-valid');
      },
      { label: 'validate-config-valid' },
    );
  });
});
