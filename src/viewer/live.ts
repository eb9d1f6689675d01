// Opens the viewer while a run is being debugged: the `agent-tune` debug adapter sends the DAP
// custom event `agentTune.run` with `{ runDir }` as soon as the run directory exists. The
// session's tune config goes along, so that F5 again on it reuses the panel of its last run.
import * as vscode from 'vscode';

import { DEBUG_TYPE, RUN_EVENT } from '../../trainer/src/run/constants';

export function watchDebugSessions(open: (runDir: string, launch: string | undefined) => void): vscode.Disposable {
  const launchOf = (s: vscode.DebugSession) => (typeof s.configuration.config === 'string' ? s.configuration.config : undefined);
  const enabled = () => vscode.workspace.getConfiguration('agentTune.viewer').get<boolean>('openOnDebugStart', true);
  return vscode.Disposable.from(
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.session.type !== DEBUG_TYPE || e.event !== RUN_EVENT || !enabled()) return;
      const runDir = (e.body as { runDir?: unknown } | undefined)?.runDir;
      if (typeof runDir === 'string' && runDir) open(runDir, launchOf(e.session));
    }),
    vscode.debug.onDidStartDebugSession((s) => {
      // A launch configuration that names its run directory needs no event.
      const runDir = (s.configuration as { runDir?: unknown }).runDir;
      if (s.type === DEBUG_TYPE && typeof runDir === 'string' && runDir && enabled()) open(runDir, launchOf(s));
    }),
  );
}
