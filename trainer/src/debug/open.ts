// `--debug-bridge` on the commands that roll out: connects to the debugger before any work.
import { DebugBridge } from './bridge';

export async function openDebugBridge(enabled: boolean | undefined): Promise<DebugBridge | undefined> {
  return enabled ? DebugBridge.overIpc() : undefined;
}
