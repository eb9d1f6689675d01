// Renders the run viewer outside VS Code: the panel's real HTML (same CSP) and dist/webview.js,
// served from a local origin, in Debian's Chromium driven by playwright-core. A stub
// acquireVsCodeApi carries messages to a real RunSource reading real run files, as the
// extension host does. Theme variables stand in for the ones VS Code injects.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { viewerHtml } from '../../src/viewer/html';
import { RunSource, type RunSourceOptions } from '../../src/viewer/runSource';
import { CompareFollower } from '../../src/viewer/compare';
import { toWire, type HostMessage, type WebviewMessage } from '../../src/viewer/protocol';

import { chromiumPath, repoRoot as root } from '../host/paths';

const THEMES = {
  dark: {
    '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1e1e1e', '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-panel-border': '#2b2b2b', '--vscode-focusBorder': '#0078d4', '--vscode-list-hoverBackground': '#2a2d2e',
    '--vscode-list-activeSelectionBackground': '#04395e', '--vscode-list-activeSelectionForeground': '#ffffff',
    '--vscode-list-inactiveSelectionBackground': '#37373d', '--vscode-input-background': '#313131', '--vscode-input-foreground': '#cccccc',
    '--vscode-input-border': '#3c3c3c', '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc', '--vscode-badge-background': '#616161',
    '--vscode-badge-foreground': '#f8f8f8', '--vscode-charts-red': '#f14c4c', '--vscode-charts-green': '#89d185', '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-yellow': '#cca700', '--vscode-charts-orange': '#d18616', '--vscode-charts-purple': '#b180d7', '--vscode-errorForeground': '#f85149',
    '--vscode-editorWarning-foreground': '#cca700', '--vscode-textCodeBlock-background': '#2b2b2b', '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace', '--vscode-editorWidget-border': '#454545',
  },
  light: {
    '--vscode-foreground': '#3b3b3b', '--vscode-editor-background': '#ffffff', '--vscode-descriptionForeground': '#717171',
    '--vscode-panel-border': '#e5e5e5', '--vscode-focusBorder': '#005fb8', '--vscode-list-hoverBackground': '#f2f2f2',
    '--vscode-list-activeSelectionBackground': '#e8e8e8', '--vscode-list-activeSelectionForeground': '#000000',
    '--vscode-list-inactiveSelectionBackground': '#e4e6f1', '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#3b3b3b',
    '--vscode-input-border': '#cecece', '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b', '--vscode-badge-background': '#cccccc',
    '--vscode-badge-foreground': '#3b3b3b', '--vscode-charts-red': '#e51400', '--vscode-charts-green': '#388a34', '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-yellow': '#bf8803', '--vscode-charts-orange': '#d18616', '--vscode-charts-purple': '#652d90', '--vscode-errorForeground': '#a1260d',
    '--vscode-editorWarning-foreground': '#bf8803', '--vscode-textCodeBlock-background': '#f5f5f5', '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace', '--vscode-editorWidget-border': '#c8c8c8',
  },
  'high-contrast': {
    '--vscode-foreground': '#ffffff', '--vscode-editor-background': '#000000', '--vscode-descriptionForeground': '#ffffff',
    '--vscode-panel-border': '#6fc3df', '--vscode-contrastBorder': '#6fc3df', '--vscode-contrastActiveBorder': '#f38518', '--vscode-focusBorder': '#f38518',
    '--vscode-list-hoverBackground': '#000000', '--vscode-list-activeSelectionBackground': '#000000', '--vscode-input-background': '#000000',
    '--vscode-input-foreground': '#ffffff', '--vscode-input-border': '#6fc3df', '--vscode-button-background': '#000000', '--vscode-button-foreground': '#ffffff',
    '--vscode-badge-background': '#000000', '--vscode-badge-foreground': '#ffffff', '--vscode-charts-red': '#f14c4c', '--vscode-charts-green': '#89d185',
    '--vscode-charts-blue': '#3794ff', '--vscode-charts-yellow': '#cca700', '--vscode-charts-orange': '#d18616', '--vscode-charts-purple': '#b180d7',
    '--vscode-errorForeground': '#f48771', '--vscode-editorWarning-foreground': '#cca700', '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px',
    '--vscode-editor-font-family': 'monospace', '--vscode-editorWidget-border': '#6fc3df',
  },
} as const;
export type Theme = keyof typeof THEMES;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json' };

export interface ViewerPage {
  page: Page;
  source: RunSource;
  /** Messages the webview sent, in order. */
  fromWebview: WebviewMessage[];
  /** Alerts, dialogs and page errors seen: a script from run data would show up here. */
  incidents: string[];
  close(): Promise<void>;
}

export class ViewerHarness {
  private server!: Server;
  private origin = '';
  browser!: Browser;

  get url(): string {
    return this.origin;
  }

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (!url.pathname.startsWith('/dist/')) {
        res.writeHead(404).end();
        return;
      }
      const file = normalize(join(root, url.pathname));
      if (!file.startsWith(join(root, 'dist'))) return void res.writeHead(403).end();
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-precise-memory-info'],
    });
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await new Promise((ok) => this.server?.close(ok));
  }

  html(): string {
    return viewerHtml({ cspSource: this.origin, scriptUri: `${this.origin}/dist/webview.js`, styleUri: `${this.origin}/dist/webview.css`, title: 'Agent Tune: Run' });
  }

  /** Opens the viewer on a run directory; resolves once the page has loaded (not the run). */
  async open(dir: string, o: { theme?: Theme; width?: number; height?: number; state?: unknown; source?: RunSourceOptions; compareWith?: string } = {}): Promise<ViewerPage> {
    const context = await this.browser.newContext({ viewport: { width: o.width ?? 1280, height: o.height ?? 800 } });
    const page = await context.newPage();
    const fromWebview: WebviewMessage[] = [];
    const incidents: string[] = [];
    page.on('dialog', (d) => {
      incidents.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('pageerror', (e) => incidents.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') incidents.push(`console: ${m.text()}`);
    });
    // Messages to the page are delivered in order, as VS Code does; those posted while a
    // delivery is under way go together in the next one (one round trip, not one each). They
    // travel as JSON text, as VS Code sends a webview's messages, parsed in the page, over the
    // DevTools protocol directly (playwright's evaluate sets up its own machinery on first use,
    // a cost VS Code's message channel does not have).
    const cdp = await context.newCDPSession(page);
    let queue: HostMessage[] = [];
    let sending = false;
    const deliver = async () => {
      sending = true;
      while (queue.length) {
        const batch = queue;
        queue = [];
        const json = JSON.stringify(batch.map(toWire));
        await cdp.send('Runtime.evaluate', { expression: `window.__agentTuneDeliver(${JSON.stringify(json)})` }).catch(() => undefined);
      }
      sending = false;
    };
    const toPage = (m: HostMessage) => {
      queue.push(m);
      if (!sending) void deliver();
    };
    const source = new RunSource(dir, toPage, o.source ?? { pollMs: 100, batchMs: 10 });
    const compare = new CompareFollower(toPage, o.source ?? { pollMs: 100, batchMs: 10 });
    await page.exposeFunction('__agentTuneToHost', (m: WebviewMessage) => {
      fromWebview.push(m);
      // The panel answers `compare` with a run the user picks; here the test names it.
      if (m.type === 'compare' && o.compareWith) void compare.follow(o.compareWith);
      else if (m.type === 'clearCompare') {
        compare.clear();
        toPage({ type: 'compare', series: null });
      }
      else void source.handle(m);
    });
    const vars = Object.entries(THEMES[o.theme ?? 'dark']);
    const bodyClass = o.theme === 'light' ? 'vscode-light' : o.theme === 'high-contrast' ? 'vscode-high-contrast' : 'vscode-dark';
    await page.addInitScript(
      ({ vars, bodyClass, state }) => {
        let s: unknown = state;
        (window as unknown as Record<string, unknown>).acquireVsCodeApi = () => ({
          postMessage: (m: unknown) => (window as unknown as { __agentTuneToHost(m: unknown): void }).__agentTuneToHost(m),
          getState: () => s,
          setState: (v: unknown) => {
            s = v;
          },
        });
        // Lets a test carry the state into a new page, as VS Code does when a panel is restored.
        (window as unknown as Record<string, unknown>).__agentTuneState = () => s;
        (window as unknown as Record<string, unknown>).__agentTuneDeliver = (json: string) => (JSON.parse(json) as unknown[]).forEach((msg) => window.postMessage(msg, '*'));
        const marks: Record<string, number> = ((window as unknown as Record<string, unknown>).__marks = {}) as Record<string, number>;
        window.addEventListener('message', (e) => {
          const type = (e.data as { type?: string })?.type ?? '?';
          if (!(type in marks)) marks[type] = performance.now();
        }, true);
        // The frame after the first rollout row enters the DOM: first paint, on the page's clock.
        const seen = new MutationObserver(() => {
          if (!document.querySelector('.tr.data')) return;
          seen.disconnect();
          marks.firstRowInDom = performance.now();
          requestAnimationFrame(() => (marks.firstPaint = performance.now()));
        });
        seen.observe(document, { childList: true, subtree: true });
        document.addEventListener('DOMContentLoaded', () => {
          marks.dcl = performance.now();
          // CSSOM, as VS Code does it; a style attribute would be refused by the page's CSP.
          for (const [k, v] of vars) document.documentElement.style.setProperty(k, v);
          document.body.className = bodyClass;
        });
      },
      { vars, bodyClass, state: o.state ?? null },
    );
    await page.route(`${this.origin}/viewer.html`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: this.html() }));
    await page.goto(`${this.origin}/viewer.html`);
    return {
      page,
      source,
      fromWebview,
      incidents,
      close: async () => {
        source.dispose();
        compare.dispose();
        await context.close();
      },
    };
  }
}
