// The run viewer's webview client. It renders only what the extension sends, as text.
declare function acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void };

const vscode = acquireVsCodeApi();
window.addEventListener('message', () => undefined);
vscode.postMessage({ type: 'ready' });
