// Window arithmetic of the virtualised table: which display rows to draw for a scroll position.

export interface Window {
  /** First display row drawn. */
  start: number;
  /** One past the last display row drawn. */
  end: number;
  /** Pixel offset of the first drawn row inside the scroll area. */
  offset: number;
}

export function visibleWindow(scrollTop: number, viewport: number, rowHeight: number, total: number, overscan = 8): Window {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, offset: 0 };
  const maxTop = Math.max(0, total * rowHeight - viewport);
  const top = Math.min(Math.max(0, scrollTop), maxTop);
  const first = Math.floor(top / rowHeight);
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, Math.ceil((top + Math.max(0, viewport)) / rowHeight) + overscan);
  return { start, end, offset: start * rowHeight };
}

/** The scrollTop that brings row `index` fully into view, moving as little as possible. */
export function revealRow(index: number, scrollTop: number, viewport: number, rowHeight: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewport) return Math.max(0, bottom - viewport);
  return scrollTop;
}

/** How many rows one page (PageUp/PageDown) moves. */
export function pageRows(viewport: number, rowHeight: number): number {
  return Math.max(1, Math.floor(viewport / rowHeight) - 1);
}
