/** The connection header (pill, last update) and banner, for any page that follows a stream. */
import { byId, byTestId, setText } from './dom.js';
import { fmtAgo, fmtTime } from './format.js';
import type { ConnectionStatus } from './state.js';

/** How long the "back online" banner stays. */
const RECOVERED_MS = 4_000;
/** Show a banner when the first connection takes longer than this. */
const SLOW_CONNECT_MS = 4_000;

/** What the connection header and banner need: the stream's state and its last message. */
export interface ConnectionView {
  connection: ConnectionStatus;
  /** Client clock (ms) of the last message, null before the first. */
  lastMessageAt: number | null;
}

/**
 * The connection pill (`connection-status`), the "updated … ago" text, the banner (lost →
 * "reconnecting…", back → "Reconnected" for a few seconds, a slow first connect → "Connecting…")
 * and `body.stale` while not live. Shared by the pages that follow a stream: `texts` names the
 * stream, what freezes while it is lost, and what is live again.
 */
export function createConnection(startedAt: number, texts: { stream: string; frozen: string; live: string }): (v: ConnectionView, now: number) => void {
  const conn = byTestId('connection-status');
  const connPill = byId('conn-pill');
  const updated = byId('updated-ago');
  const banner = byId('banner');
  const bannerText = byId('banner-text');
  const body = document.body;

  let prev: ConnectionStatus = 'connecting';
  let recoveredAt: number | null = null;
  let lostAt: number | null = null;

  return (v, now) => {
    const c = v.connection;
    if (c !== prev) {
      if (c === 'live' && prev === 'reconnecting') recoveredAt = now;
      if (c === 'reconnecting') {
        lostAt ??= now;
        recoveredAt = null;
      }
      if (c === 'live') lostAt = null;
      prev = c;
    }
    setText(conn, c);
    if (connPill.dataset.state !== c) connPill.dataset.state = c;

    let mode: 'warn' | 'ok' | null = null;
    let text = '';
    if (c === 'reconnecting') {
      mode = 'warn';
      text = `Connection lost${lostAt !== null && now - lostAt > 2_000 ? ` ${fmtAgo(now - lostAt)}` : ''} — reconnecting… ${texts.frozen}`;
    } else if (c === 'connecting' && now - startedAt > SLOW_CONNECT_MS) {
      mode = 'warn';
      text = `Connecting to the ${texts.stream}… Is the server running?`;
    } else if (c === 'live' && recoveredAt !== null && now - recoveredAt < RECOVERED_MS) {
      mode = 'ok';
      text = `Reconnected at ${fmtTime(recoveredAt)} — ${texts.live}`;
    }
    banner.hidden = mode === null;
    if (mode) {
      if (banner.dataset.mode !== mode) banner.dataset.mode = mode;
      setText(bannerText, text);
    }

    const lastAt = v.lastMessageAt;
    setText(updated, lastAt === null ? '—' : fmtAgo(now - lastAt));
    body.classList.toggle('stale', c !== 'live');
  };
}
