/**
 * The clicker's rules: what an answer of `POST /clicks` means (accepted, refused with the
 * server's reason, retry later, unreachable), and the page's state (acknowledged counts per
 * button, the last acknowledgement, the message, a Retry-After pause). Pure data: no DOM, no
 * fetch (as state.ts for the dashboard).
 */
import type { ClickAccepted, ClickType } from '../../src/pipelines/clicks/clicks-contract.js';

export type { ClickType };
/** The buttons, in page order (the contract's types; only its types are imported into the page). */
export const CLICK_TYPES: readonly ClickType[] = ['cheers', 'hate'];

/** How long a button shows "accepted" after an acknowledgement. */
export const ACK_SHOW_MS = 1_800;
/** Retry-After when the server sent none (or nonsense), and the most a page will wait. */
export const DEFAULT_RETRY_MS = 1_000;
export const MAX_RETRY_MS = 5 * 60_000;

export type ClickOutcome =
  | { kind: 'accepted'; accepted: number; offsets: ClickAccepted['offsets'] }
  /** A 4xx other than 429: the click was refused, `message` says why (the server's detail). */
  | { kind: 'refused'; status: number; message: string }
  /** 429 or 503: not taken now, try again after `retryAfterMs`. */
  | { kind: 'retry'; status: number; retryAfterMs: number; message: string }
  /** Any other answer (5xx, a 2xx that is not a ClickAccepted). */
  | { kind: 'failed'; status: number; message: string }
  /** No answer at all. */
  | { kind: 'unreachable' };

/** Retry-After in ms from its header: delta-seconds or an HTTP date; DEFAULT_RETRY_MS when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number {
  const v = header?.trim();
  if (!v) return DEFAULT_RETRY_MS;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return DEFAULT_RETRY_MS;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_MS, Math.max(0, Math.round(ms)));
}

/** The server's reason from an error body `{statusCode, error, message, detail}`: detail first, then message. */
export function errorReason(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as { detail?: unknown; message?: unknown; error?: unknown };
  for (const v of [b.detail, b.message, b.error]) {
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return null;
}

function isAccepted(body: unknown): body is ClickAccepted {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Partial<ClickAccepted>;
  return typeof b.accepted === 'number' && Array.isArray(b.offsets);
}

/** What an HTTP answer to `POST /clicks` means; `body` is the parsed JSON (null when none). */
export function clickOutcome(status: number, body: unknown, retryAfter: string | null, now = Date.now()): ClickOutcome {
  const reason = errorReason(body);
  if (status === 202 || (status >= 200 && status < 300 && isAccepted(body))) {
    if (!isAccepted(body)) return { kind: 'failed', status, message: 'the server answered without an acknowledgement' };
    return { kind: 'accepted', accepted: body.accepted, offsets: body.offsets };
  }
  if (status === 429 || status === 503) {
    return {
      kind: 'retry',
      status,
      retryAfterMs: parseRetryAfter(retryAfter, now),
      message: reason ?? (status === 429 ? 'too many clicks' : 'the server cannot take clicks right now'),
    };
  }
  if (status >= 400 && status < 500) return { kind: 'refused', status, message: reason ?? `HTTP ${status}` };
  return { kind: 'failed', status, message: reason ?? `HTTP ${status}` };
}

/** "offset 17", or "partition 2 · offset 17" beyond partition 0; several clicks name the last. */
export function offsetText(offsets: ClickAccepted['offsets']): string {
  const last = offsets[offsets.length - 1];
  if (!last) return '';
  return last.partition === 0 ? `offset ${last.offset}` : `partition ${last.partition} · offset ${last.offset}`;
}

/** "3 s" for a wait (whole seconds, rounded up, at least 1). */
export function waitText(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))} s`;
}

export type MessageTone = 'error' | 'warn' | 'ok';

export interface ClickerMessage {
  tone: MessageTone;
  text: string;
  /** Client ms when the message goes away by itself (none: until replaced). */
  until?: number;
}

/** How long "You can click again." stays. */
export const OK_MESSAGE_MS = 3_000;

export interface ButtonState {
  /** Clicks the server acknowledged (202) since the page opened. */
  acked: number;
  /** Clicks sent and not answered yet. */
  pending: number;
  /** The last acknowledgement: when (client ms) and where it landed. */
  lastAck: { at: number; where: string } | null;
  /** When the last click of this button was not accepted (client ms), cleared by the next acknowledgement. */
  failedAt: number | null;
}

export interface ClickerState {
  buttons: Record<ClickType, ButtonState>;
  message: ClickerMessage | null;
  /** Client ms until which no click is sent (the server's Retry-After); null when free. */
  blockedUntil: number | null;
  /** The answer that set `blockedUntil` (429 / 503), for the message while waiting. */
  blockedBy: { status: number; message: string } | null;
  version: number;
}

export function initialClickerState(): ClickerState {
  const button = (): ButtonState => ({ acked: 0, pending: 0, lastAck: null, failedAt: null });
  return { buttons: { cheers: button(), hate: button() }, message: null, blockedUntil: null, blockedBy: null, version: 0 };
}

/** Whether a click may be sent now (not inside a Retry-After pause). */
export function canSend(s: ClickerState, now: number): boolean {
  return s.blockedUntil === null || now >= s.blockedUntil;
}

/** A click was sent. */
export function clickSent(s: ClickerState, type: ClickType): void {
  s.buttons[type].pending++;
  s.version++;
}

/** Its answer arrived (or its fetch failed: `unreachable`). */
export function clickAnswered(s: ClickerState, type: ClickType, outcome: ClickOutcome, now: number): void {
  const b = s.buttons[type];
  b.pending = Math.max(0, b.pending - 1);
  s.version++;
  switch (outcome.kind) {
    case 'accepted':
      b.acked += outcome.accepted;
      b.lastAck = { at: now, where: offsetText(outcome.offsets) };
      b.failedAt = null;
      // A success clears an earlier error, but not a pause the server asked for.
      if (s.message && s.message.tone !== 'ok' && canSend(s, now)) s.message = null;
      return;
    case 'retry': {
      b.failedAt = now;
      const until = now + outcome.retryAfterMs;
      if (s.blockedUntil === null || until > s.blockedUntil) s.blockedUntil = until;
      s.blockedBy = { status: outcome.status, message: outcome.message };
      s.message = retryMessage(s, now);
      return;
    }
    case 'refused':
      b.failedAt = now;
      s.message = { tone: 'error', text: `Not accepted: ${outcome.message.replace(/\.$/, '')}.` };
      return;
    case 'failed':
      b.failedAt = now;
      s.message = { tone: 'error', text: `The server failed to take the click (HTTP ${outcome.status}: ${outcome.message}). It was not recorded — try again.` };
      return;
    case 'unreachable':
      b.failedAt = now;
      s.message = { tone: 'error', text: 'The server is unreachable — is streamrec running? The click was not recorded; try again once it is back.' };
      return;
  }
}

function retryMessage(s: ClickerState, now: number): ClickerMessage {
  const by = s.blockedBy;
  const left = waitText((s.blockedUntil ?? now) - now);
  if (by?.status === 429) return { tone: 'warn', text: `Too many clicks (${by.message}) — not recorded. Retry in ${left}.` };
  return { tone: 'warn', text: `The server cannot store clicks right now (${by?.message ?? 'unavailable'}) — not recorded. Retry in ${left}.` };
}

/** A click while paused: nothing is sent; the message says how long is left. */
export function clickWhileBlocked(s: ClickerState, now: number): void {
  s.message = retryMessage(s, now);
  s.version++;
}

/** The clock moved: count the pause down and end it ("you can click again"), and let that message go. */
export function tick(s: ClickerState, now: number): void {
  if (s.blockedUntil === null) {
    if (s.message?.until !== undefined && now >= s.message.until) {
      s.message = null;
      s.version++;
    }
    return;
  }
  if (now >= s.blockedUntil) {
    s.blockedUntil = null;
    s.blockedBy = null;
    s.message = { tone: 'ok', text: 'You can click again.', until: now + OK_MESSAGE_MS };
  } else {
    s.message = retryMessage(s, now);
  }
  s.version++;
}

export type ButtonView = { tone: 'accepted' | 'pending' | 'error' | 'idle'; text: string };

/** The line under a button: "Accepted · offset 17" for a moment, "Sending…", "Not accepted", or nothing. */
export function buttonStatus(b: ButtonState, now: number): ButtonView {
  if (b.lastAck && now - b.lastAck.at < ACK_SHOW_MS && (b.failedAt === null || b.failedAt < b.lastAck.at)) {
    return { tone: 'accepted', text: `Accepted${b.lastAck.where ? ` · ${b.lastAck.where}` : ''}` };
  }
  if (b.pending > 0) return { tone: 'pending', text: b.pending === 1 ? 'Sending…' : `Sending ${b.pending}…` };
  if (b.failedAt !== null) return { tone: 'error', text: 'Not accepted' };
  return { tone: 'idle', text: b.lastAck ? `Last: ${b.lastAck.where}` : 'Not clicked yet' };
}
