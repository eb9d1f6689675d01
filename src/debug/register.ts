// The `agent-tune` debugger in VS Code: launch configurations (initial, one per tune config
// found in the workspace, defaults for F5 on a tune file), the adapter (in-process, or the
// standalone dist/debugAdapter.js), the child `node` session attached to the trainer so that
// breakpoints in workflows and judges bind, and opening the run viewer on a session's run.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { requireTrust, restrictedMessage } from '../trust';
import { DEBUG_TYPE, initialConfigurations } from './launch';
import { VERSION } from '../../trainer/src/version';
import { buildReport } from './report';
import { checkTuneConfig } from './configCheck';
import { AgentTuneSession, ATTACH_NODE_EVENT, NODE_ATTACHED_REQUEST, OPEN_RUN_EVENT, OPEN_RUN_REQUEST, RUN_EVENT, traceDir, type AttachNodeBody } from './session';

const TUNE_GLOB = '**/*.tune.{yaml,yml}';
const isTuneFile = (uri: vscode.Uri | undefined) => !!uri && /\.tune\.ya?ml$/.test(uri.fsPath);

export function registerDebugger(context: vscode.ExtensionContext): void {
  const trainerCli = context.asAbsolutePath(path.join('trainer', 'bin', 'agent-tune.js'));
  let lastRunDir: string | undefined;
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new InitialConfigurations(), vscode.DebugConfigurationProviderTriggerKind.Initial),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new WorkspaceConfigurations(), vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor() {
        // resolveDebugConfiguration has said why already; this stops any other way in.
        if (!vscode.workspace.isTrusted) throw new Error(restrictedMessage('Debugging'));
        if (vscode.workspace.getConfiguration('agentTune.debug').get<boolean>('separateProcess', false)) {
          return new vscode.DebugAdapterExecutable(process.execPath, [context.asAbsolutePath(path.join('dist', 'debugAdapter.js'))], { env: { ELECTRON_RUN_AS_NODE: '1' } });
        }
        return new vscode.DebugAdapterInlineImplementation(new AgentTuneSession({ trainerCli }));
      },
    }),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.session.type !== DEBUG_TYPE) return;
      if (e.event === RUN_EVENT) lastRunDir = (e.body as { runDir?: string }).runDir;
      if (e.event === ATTACH_NODE_EVENT) void attachNode(e.session, e.body as AttachNodeBody);
      else if (e.event === OPEN_RUN_EVENT) void vscode.commands.executeCommand('agentTune.openRun', (e.body as { runDir: string }).runDir);
    }),
    vscode.debug.onDidStartDebugSession(nameNodeSession),
    vscode.commands.registerCommand('agentTune.debug.openRunViewer', async (arg?: unknown) => {
      const session = agentTuneSession(arg);
      if (!session) {
        void vscode.window.showInformationMessage('No Agent Tune debug session is running.');
        return;
      }
      await session.customRequest(OPEN_RUN_REQUEST);
    }),
    vscode.commands.registerCommand('agentTune.reportProblem', async () => {
      const report = await buildReport({
        versions: {
          'Agent Tune': String(context.extension.packageJSON.version),
          'VS Code': vscode.version,
          trainer: VERSION,
          'Node.js (extension host)': process.version,
          platform: `${process.platform} ${process.arch}`,
        },
        runDir: lastRunDir,
        traceDir: traceDir(),
      });
      const target = await vscode.window.showSaveDialog({
        title: 'Save the problem report',
        defaultUri: vscode.Uri.file(path.join(lastRunDir ?? traceDir(), `agent-tune-report-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}.md`)),
        filters: { Markdown: ['md'] },
      });
      if (!target) return;
      await vscode.workspace.fs.writeFile(target, Buffer.from(report, 'utf8'));
      await vscode.window.showTextDocument(target);
    }),
  );
}

/** The agent-tune session a command applies to: the active one, or the parent of its child node session. */
function agentTuneSession(arg: unknown): vscode.DebugSession | undefined {
  const fromArg = (arg as { sessionId?: string } | undefined)?.sessionId;
  let s = vscode.debug.activeDebugSession;
  if (fromArg && s?.id !== fromArg) s = undefined;
  while (s && s.type !== DEBUG_TYPE) s = s.parentSession;
  return s;
}

/**
 * The child session: js-debug attaches to the trainer's inspector, sets the breakpoints of
 * workflow, judge and tool files (and in the worker threads that run them), and only then
 * lets the trainer run. Its console merges with the parent's; the parent restarts and stops it.
 */
async function attachNode(parent: vscode.DebugSession, body: AttachNodeBody): Promise<void> {
  let ok = false;
  let message: string | undefined;
  try {
    ok = await vscode.debug.startDebugging(
      parent.workspaceFolder,
      {
        type: 'node',
        request: 'attach',
        name: body.name,
        address: '127.0.0.1',
        port: body.port,
        cwd: body.cwd,
        continueOnAttach: true,
        sourceMaps: true,
        // User code is transpiled with inline source maps wherever it lives.
        resolveSourceMapLocations: null,
        // The parent session shows the trainer's stdout and stderr already.
        outputCapture: 'std',
        skipFiles: ['<node_internals>/**'],
        attachExistingChildren: false,
        autoAttachChildProcesses: false,
      },
      { parentSession: parent, lifecycleManagedByParent: true, consoleMode: vscode.DebugConsoleMode.MergeWithParent, compact: true, suppressSaveBeforeStart: true },
    );
    if (!ok) message = 'VS Code did not start the Node session (is the built-in JavaScript debugger disabled?)';
  } catch (e) {
    message = (e as Error).message;
  }
  await parent.customRequest(NODE_ATTACHED_REQUEST, { ok, ...(message ? { message } : {}) }).then(undefined, () => undefined);
}

/** The name the Call Stack view shows for the Node session under ours. */
const NODE_SESSION_NAME = 'Trainer (Node.js)';

/**
 * js-debug names the target it attaches to by port "Remote Process [0]"; under an agent-tune
 * session that target is the trainer, so it is named so.
 */
function nameNodeSession(s: vscode.DebugSession): void {
  if (s.type === DEBUG_TYPE) return;
  let up = s.parentSession;
  while (up && up.type !== DEBUG_TYPE) up = up.parentSession;
  if (up) s.name = NODE_SESSION_NAME;
}

/** The tune config a launch configuration without one means: the active editor's, else the only one. */
async function defaultConfigFile(): Promise<string | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (isTuneFile(active)) return active!.fsPath;
  const found = await vscode.workspace.findFiles(TUNE_GLOB, '**/node_modules/**', 2);
  return found.length === 1 ? found[0].fsPath : undefined;
}

class InitialConfigurations implements vscode.DebugConfigurationProvider {
  async provideDebugConfigurations(): Promise<vscode.DebugConfiguration[]> {
    return initialConfigurations.map((c) => ({ ...c }));
  }

  /** F5 with no launch.json, or a configuration that leaves things out: fill in the defaults. */
  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    if (!requireTrust(config.mode === 'train' ? 'Run' : 'Debugging')) return undefined;
    if (!config.type && !config.request && !config.name) {
      const file = await defaultConfigFile();
      if (!file) {
        void vscode.window.showErrorMessage('Open a *.tune.yaml file (or add an "agent-tune" launch configuration) to debug it.');
        return undefined;
      }
      return { type: DEBUG_TYPE, request: 'launch', name: `Debug ${vscode.workspace.asRelativePath(file)}`, config: file, mode: 'debug', tasks: 2 };
    }
    if (!config.config) {
      const file = await defaultConfigFile();
      if (!file) {
        void vscode.window.showErrorMessage(`"${config.name}" names no tune config: set "config" to a *.tune.yaml file, or open one and start again.`);
        return undefined;
      }
      config.config = file;
    }
    config.mode ??= 'debug';
    if (config.mode === 'debug') config.tasks ??= 2;
    return config;
  }

  /** Returns undefined (start nothing, open nothing) for a config with errors, after saying where they are. */
  resolveDebugConfigurationWithSubstitutedVariables(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    const base = folder?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (base && typeof config.config === 'string' && !path.isAbsolute(config.config)) config.config = path.resolve(base, config.config);
    if (base && typeof config.cwd === 'string' && !path.isAbsolute(config.cwd)) config.cwd = path.resolve(base, config.cwd);
    if (typeof config.config === 'string' && path.isAbsolute(config.config) && !checkTuneConfig(config.config, config.mode === 'train' ? 'the run' : 'debugging')) return undefined;
    return config;
  }
}

/** One "Debug <file>" entry per tune config in the workspace (Run and Debug → the agent-tune list). */
class WorkspaceConfigurations implements vscode.DebugConfigurationProvider {
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    const pattern = folder ? new vscode.RelativePattern(folder, TUNE_GLOB) : TUNE_GLOB;
    const files = await vscode.workspace.findFiles(pattern, '**/node_modules/**', 100);
    return files
      .sort((a, b) => a.fsPath.localeCompare(b.fsPath))
      .map((uri) => ({ type: DEBUG_TYPE, request: 'launch', name: `Debug ${vscode.workspace.asRelativePath(uri)}`, config: uri.fsPath, mode: 'debug', tasks: 2 }));
  }
}
