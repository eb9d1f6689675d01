// The webview's HTML: a shell that loads our script and styles. The policy allows only our own
// files (by the webview's resource origin) and our nonce'd script; nothing inline, no eval.
import { randomBytes } from 'node:crypto';

export interface HtmlParts {
  /** `webview.cspSource`: the origin webview resource URIs are served from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  title: string;
  nonce?: string;
}

export const newNonce = (): string => randomBytes(18).toString('base64url');

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function viewerHtml(p: HtmlParts): string {
  const nonce = p.nonce ?? newNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(p.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(p.styleUri)}">
<title>${attr(p.title)}</title>
</head>
<body>
<div id="app" class="app"><p class="empty-state">Loading run…</p></div>
<script nonce="${nonce}" src="${attr(p.scriptUri)}"></script>
</body>
</html>
`;
}
