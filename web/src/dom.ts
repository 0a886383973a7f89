/** A tiny DOM builder: text is always set as text (titles come from data), never as HTML. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.className = String(value);
      else if (key === 'style') el.style.cssText = String(value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

/** The element with this id; throws a clear error if index.html lacks it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`streamrec: #${id} is missing from the page`);
  return el as T;
}

/** The element with this data-testid inside `root`. */
export function byTestId<T extends HTMLElement = HTMLElement>(testId: string, root: ParentNode = document): T {
  const el = root.querySelector(`[data-testid="${testId}"]`);
  if (!el) throw new Error(`streamrec: [data-testid=${testId}] is missing from the page`);
  return el as T;
}

/** Sets text only when it changed (avoids needless layout work on every event). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
