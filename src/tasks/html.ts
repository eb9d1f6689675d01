// The task preview's page: a table filled a page at a time as it scrolls, with a source picker,
// a search box and a filter for records with findings. Every value from the data goes in as
// text (textContent), never as HTML.

export function previewHtml(cspSource: string, nonce: string, title: string): string {
  const csp = [`default-src 'none'`, `style-src ${cspSource} 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`, `base-uri 'none'`, `form-action 'none'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${title.replace(/[<>&"]/g, '')}</title>
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 12px; }
  header { position: sticky; top: 0; background: var(--vscode-editor-background); padding: 8px 0; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; z-index: 1; }
  input[type=search], select { background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, transparent); padding: 3px 6px; }
  input[type=search] { min-width: 280px; }
  table { border-collapse: collapse; width: 100%; table-layout: fixed; }
  th, td { text-align: left; vertical-align: top; padding: 4px 6px; border-bottom: 1px solid var(--vscode-editorWidget-border, #8884); overflow-wrap: anywhere; white-space: pre-wrap; }
  th { position: sticky; top: 40px; background: var(--vscode-editor-background); }
  td.problems { color: var(--vscode-errorForeground); }
  .muted { opacity: 0.7; }
  .error { color: var(--vscode-errorForeground); }
</style>
</head>
<body>
<header>
  <select id="source" aria-label="Task source"></select>
  <input id="search" type="search" placeholder="Search id, question, reference" aria-label="Search">
  <label><input id="problems" type="checkbox"> only records with findings</label>
  <span id="status" class="muted"></span>
</header>
<div id="error" class="error"></div>
<table>
  <colgroup><col style="width:5%"><col style="width:9%"><col style="width:36%"><col style="width:12%"><col style="width:10%"><col style="width:12%"><col style="width:16%"></colgroup>
  <thead><tr><th>#</th><th>id</th><th>question</th><th>reference</th><th>features</th><th>source</th><th>findings</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<div id="more" class="muted"></div>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>`;
}

const SCRIPT = `
const vscode = acquireVsCodeApi();
const $ = (id) => document.getElementById(id);
let sources = [];
let next = 0;
let loading = false;
let generation = 0;
let shown = 0;
let scanned = 0;
let timer;
const PAGE = 200;

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function status() {
  const s = sources[$('source').value];
  const total = s && s.total !== undefined ? ' of ' + s.total.toLocaleString() : '';
  const filtered = $('search').value || $('problems').checked;
  $('status').textContent = shown.toLocaleString() + (filtered ? ' matching (' + scanned.toLocaleString() + ' records looked at)' : ' shown' + total) + (next === undefined ? ', end of source' : '');
}

function request() {
  if (loading || next === undefined) return;
  loading = true;
  $('more').textContent = 'Reading…';
  vscode.postMessage({ type: 'page', generation, source: Number($('source').value), start: next, count: PAGE, search: $('search').value, problems: $('problems').checked });
}

function reset() {
  // A search still waiting for its debounce would read again over this one.
  clearTimeout(timer);
  generation++;
  next = 0;
  shown = 0;
  scanned = 0;
  loading = false;
  $('rows').textContent = '';
  $('status').textContent = 'Reading…';
  const s = sources[$('source').value];
  $('error').textContent = s && s.error ? s.error : '';
  request();
}

window.addEventListener('message', (e) => {
  const m = e.data;
  if (m.type === 'sources') {
    sources = m.sources;
    $('source').textContent = '';
    sources.forEach((s, i) => {
      const o = document.createElement('option');
      o.value = String(i);
      o.textContent = s.key + (s.name && !s.key.endsWith(s.name) ? ' (' + s.name + ')' : '');
      $('source').appendChild(o);
    });
    if (m.selected !== undefined) $('source').value = String(m.selected);
    reset();
  } else if (m.type === 'page' && m.generation === generation) {
    loading = false;
    if (m.error) { $('error').textContent = m.error; next = undefined; $('more').textContent = ''; return; }
    const body = $('rows');
    for (const r of m.page.rows) {
      const tr = document.createElement('tr');
      cell(tr, String(r.index + 1), 'muted');
      cell(tr, r.id);
      cell(tr, r.question);
      cell(tr, r.reference);
      cell(tr, Object.entries(r.features).map(([k, v]) => k + ' ' + v).join('\\n'));
      cell(tr, r.source + '\\n' + r.where, 'muted');
      cell(tr, r.findings.join('\\n'), r.findings.length ? 'problems' : '');
      body.appendChild(tr);
    }
    shown += m.page.rows.length;
    scanned += m.page.scanned;
    next = m.page.next;
    $('more').textContent = next === undefined ? '' : 'Scroll for more';
    status();
    if (next !== undefined && document.body.scrollHeight <= window.innerHeight + 200) request();
  }
});

$('search').addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(reset, 250); });
$('problems').addEventListener('change', reset);
$('source').addEventListener('change', reset);
window.addEventListener('scroll', () => { if (window.innerHeight + window.scrollY > document.body.scrollHeight - 600) request(); });
vscode.postMessage({ type: 'ready' });
`;
