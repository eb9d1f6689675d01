// The only way the client builds DOM: elements, attributes we choose, and text. Nothing from a
// run is ever parsed as HTML; `text` goes through textContent.

type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  title?: string;
  role?: string;
  tabIndex?: number;
  [attr: `aria-${string}`]: string;
  [attr: `data-${string}`]: string;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined) continue;
      if (k === 'class') el.className = String(v);
      else if (k === 'title') el.title = String(v);
      else if (k === 'tabIndex') el.tabIndex = Number(v);
      else el.setAttribute(k, String(v));
    }
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

export function icon(name: string, title?: string): HTMLElement {
  const el = h('span', { class: `codicon codicon-${name}`, 'aria-hidden': title ? 'false' : 'true' });
  if (title) el.title = title;
  return el;
}

export function button(label: string, iconName: string | null, onClick: () => void, title?: string): HTMLButtonElement {
  const b = h('button', { class: 'btn', title: title ?? label }, iconName ? icon(iconName) : null, label ? h('span', null, label) : null);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

export function fmtNum(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(digits);
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)}m ${Math.round((ms % 60000) / 1000)}s`;
}

export function checkbox(label: string, value: boolean, onChange: (v: boolean) => void) {
  const input = h('input', { 'aria-label': label });
  input.type = 'checkbox';
  input.checked = value;
  input.addEventListener('change', () => onChange(input.checked));
  return { el: h('label', { class: 'check' }, input, ` ${label}`), input };
}

/** A labelled select of `[value, text]` options. */
export function select<T extends string>(label: string, options: readonly (readonly [T, string])[], value: T, onChange: (v: T) => void): HTMLSelectElement {
  const el = h('select', { title: label, 'aria-label': label }, ...options.map(([v, text]) => Object.assign(h('option', null, text), { value: v })));
  el.value = value;
  el.addEventListener('change', () => onChange(el.value as T));
  return el;
}

export function numberInput(label: string, value: number | null, onChange: (v: number | null) => void) {
  const input = h('input', { class: 'num-input', title: label, 'aria-label': label });
  input.type = 'number';
  input.step = 'any';
  input.placeholder = label;
  input.value = value === null ? '' : String(value);
  const value_ = () => (input.value === '' || Number.isNaN(Number(input.value)) ? null : Number(input.value));
  // Applies as the user types (after a short pause, so a long table is not refiltered per key),
  // and at once on Enter, Tab or the spin buttons.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const apply = () => {
    clearTimeout(timer);
    onChange(value_());
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(apply, 250);
  });
  input.addEventListener('change', apply);
  return { el: input, input };
}
