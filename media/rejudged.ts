// What a re-judge changed, as the panel's banner shows it: the summary in words (made by the
// host from the CLI's summary), then the rollouts that flipped success, each a link to its row,
// and "Show only these". Rollout ids from the run are set as text.
import type { HostMessage } from '../src/viewer/protocol';
import { button, h, icon } from './dom';

const MAX_LINKS = 30;

export function rejudgedBanner(m: Extract<HostMessage, { type: 'rejudged' }>, o: { onShow(id: string): void; onOnly(ids: string[]): void }): HTMLElement[] {
  const flipped = m.summary.flipped;
  const out = [h('div', null, icon('pass'), ' Re-judged: ', m.text)];
  if (!flipped.length) return out;
  const links = flipped.slice(0, MAX_LINKS).map((f) => button(`${f.id} → ${f.success ? 'correct' : 'wrong'}`, f.success ? 'pass' : 'error', () => o.onShow(f.id), 'Show this rollout'));
  out.push(
    h(
      'div',
      { class: 'flipped' },
      h('span', null, 'Flipped success: '),
      ...links,
      flipped.length > MAX_LINKS ? h('span', { class: 'muted' }, ` … ${flipped.length - MAX_LINKS} more`) : '',
      button('Show only these', 'filter', () => o.onOnly(flipped.map((f) => f.id)), 'Filter the table to the rollouts that flipped'),
    ),
  );
  return out;
}
