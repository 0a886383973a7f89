/**
 * The clicker: a Cheers and a Hate button, each press one `POST /clicks`. A press counts once
 * the server acknowledged it (202, durable in the log); a refusal shows the server's reason, a
 * 429 / 503 pauses the buttons for its Retry-After, and no answer says the server is
 * unreachable (clicker-state.ts has the rules). Keys C and H press the buttons too.
 *
 * Built on its own (no shared chunk): it loads no chart code.
 */
import {
  buttonStatus,
  canSend,
  CLICK_TYPES,
  clickAnswered,
  clickOutcome,
  clickSent,
  clickWhileBlocked,
  initialClickerState,
  tick,
  type ClickerState,
  type ClickOutcome,
  type ClickType,
} from './clicker-state.js';

const CLICKS_URL = '/clicks';
const KEYS: Record<string, ClickType> = { c: 'cheers', h: 'hate' };
const intFmt = new Intl.NumberFormat('en-US');

function need<T extends HTMLElement>(selector: string): T {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`streamrec: ${selector} is missing from the page`);
  return el;
}

function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** One POST: its outcome, never a rejection. */
async function postClick(type: ClickType): Promise<ClickOutcome> {
  let res: Response;
  try {
    res = await fetch(CLICKS_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ type }),
      cache: 'no-store',
    });
  } catch {
    return { kind: 'unreachable' };
  }
  const body: unknown = await res.json().catch(() => null);
  return clickOutcome(res.status, body, res.headers.get('retry-after'));
}

function start(): void {
  const state: ClickerState = initialClickerState();
  const message = need<HTMLElement>('[data-testid="clicker-message"]');
  const views = CLICK_TYPES.map((type) => ({
    type,
    button: need<HTMLButtonElement>(`[data-testid="click-${type}"]`),
    count: need<HTMLElement>(`[data-testid="count-${type}"]`),
    ack: need<HTMLElement>(`[data-testid="ack-${type}"]`),
  }));

  let rendered = -1;
  const render = (): void => {
    const now = Date.now();
    tick(state, now);
    const paused = !canSend(state, now);
    for (const v of views) {
      const b = state.buttons[v.type];
      setText(v.count, intFmt.format(b.acked));
      const st = buttonStatus(b, now);
      setText(v.ack, st.text);
      if (v.ack.dataset.state !== st.tone) v.ack.dataset.state = st.tone;
      // aria-disabled, not disabled: the focused button keeps focus through a pause.
      v.button.setAttribute('aria-disabled', String(paused));
    }
    if (state.version === rendered) return;
    rendered = state.version;
    const m = state.message;
    message.hidden = m === null;
    if (m) {
      setText(message, m.text);
      if (message.dataset.tone !== m.tone) message.dataset.tone = m.tone;
    }
  };

  const press = (type: ClickType): void => {
    const now = Date.now();
    const view = views.find((v) => v.type === type);
    view?.button.classList.remove('pressed');
    void view?.button.offsetWidth; // restart the press animation
    view?.button.classList.add('pressed');
    if (!canSend(state, now)) {
      clickWhileBlocked(state, now);
      render();
      return;
    }
    clickSent(state, type);
    render();
    void postClick(type).then((outcome) => {
      clickAnswered(state, type, outcome, Date.now());
      render();
    });
  };

  for (const v of views) v.button.addEventListener('click', () => press(v.type));
  document.addEventListener('keydown', (e) => {
    if (e.repeat || e.altKey || e.ctrlKey || e.metaKey) return;
    const target = e.target as HTMLElement | null;
    if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
    const type = KEYS[e.key.toLowerCase()];
    if (!type) return;
    e.preventDefault();
    press(type);
  });

  // The "accepted" flash fades and a Retry-After pause counts down.
  window.setInterval(render, 250);
  render();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
