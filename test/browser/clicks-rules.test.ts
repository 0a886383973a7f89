/**
 * The clicker's and the Clicks page's pure rules (web/src/clicker-state.ts, clicks-state.ts), in
 * Node: esbuild bundles them to a temporary module (the web code is not part of the Node build).
 */
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import type { ClicksData } from '../../src/pipelines/clicks/clicks-contract.js';
import { tempDir } from '../helpers/tmp.js';

const WEB_SRC = resolve(import.meta.dirname, '../../../web/src');

/*
 * The modules' shapes, as far as the tests use them: importing their types would pull web/src into
 * the Node build (and its output into dist/web, which the server serves).
 */
type Outcome =
  | { kind: 'accepted'; accepted: number; offsets: { partition: number; offset: number }[] }
  | { kind: 'refused' | 'failed'; status: number; message: string }
  | { kind: 'retry'; status: number; retryAfterMs: number; message: string }
  | { kind: 'unreachable' };
interface Button { acked: number; pending: number }
interface ClickerState { buttons: Record<'cheers' | 'hate', Button>; message: { tone: string; text: string } | null }
interface Clicker {
  ACK_SHOW_MS: number;
  DEFAULT_RETRY_MS: number;
  OK_MESSAGE_MS: number;
  clickOutcome(status: number, body: unknown, retryAfter: string | null, now?: number): Outcome;
  offsetText(offsets: { partition: number; offset: number }[]): string;
  parseRetryAfter(header: string | null, now?: number): number;
  initialClickerState(): ClickerState;
  clickSent(s: ClickerState, type: 'cheers' | 'hate'): void;
  clickAnswered(s: ClickerState, type: 'cheers' | 'hate', o: Outcome, now: number): void;
  canSend(s: ClickerState, now: number): boolean;
  tick(s: ClickerState, now: number): void;
  buttonStatus(b: Button, now: number): { tone: string; text: string };
}
type Point = [number, number, number];
interface ClicksState { data: ClicksData | null; version: number }
interface Clicks {
  RATE_WINDOW_MS: number;
  initialClicksState(): ClicksState;
  applyClicksData(s: ClicksState, d: ClicksData, now?: number): void;
  setClicksConnection(s: ClicksState, c: 'connecting' | 'live' | 'reconnecting', now?: number): void;
  viewEnd(s: ClicksState, now: number): number | null;
  binSeries(s: ClicksState, end: number | null): { cheers: Point[]; hate: Point[]; from: number; to: number; plotted: number; liveTail: boolean } | null;
  currentRate(s: ClicksState, now: number): number | null;
  rateText(rate: number | null): string;
  clickTotals(s: ClicksState): { cheers: number; hate: number; all: number; cheersShare: number | null };
}

let clicker: Clicker;
let clicks: Clicks;
const tmp = tempDir('streamrec-web-rules-');

async function load<T>(name: string): Promise<T> {
  const out = await esbuild.build({ entryPoints: [join(WEB_SRC, `${name}.ts`)], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'silent' });
  const file = join(tmp.dir, `${name}.mjs`);
  writeFileSync(file, out.outputFiles[0]!.text);
  return (await import(pathToFileURL(file).href)) as T;
}

before(async () => {
  clicker = await load<Clicker>('clicker-state');
  clicks = await load<Clicks>('clicks-state');
});
after(() => tmp.cleanup());

describe('clicker rules', () => {
  const NOW = Date.parse('2026-01-01T12:00:00Z');

  it('reads a 202 as accepted, with where the click landed', () => {
    const o = clicker.clickOutcome(202, { accepted: 1, offsets: [{ partition: 0, offset: 41 }] }, null, NOW);
    assert.deepEqual(o, { kind: 'accepted', accepted: 1, offsets: [{ partition: 0, offset: 41 }] });
    assert.equal(clicker.offsetText([{ partition: 0, offset: 41 }]), 'offset 41');
    assert.equal(clicker.offsetText([{ partition: 2, offset: 7 }]), 'partition 2 · offset 7');
  });

  it('shows the server\'s detail (else its message) for a 4xx', () => {
    const body = { statusCode: 400, error: 'Bad Request', message: 'invalid click', detail: 'type must be "cheers" or "hate"' };
    assert.deepEqual(clicker.clickOutcome(400, body, null, NOW), { kind: 'refused', status: 400, message: 'type must be "cheers" or "hate"' });
    assert.deepEqual(clicker.clickOutcome(413, { message: 'body too large' }, null, NOW), { kind: 'refused', status: 413, message: 'body too large' });
    const s = clicker.initialClickerState();
    clicker.clickSent(s, 'hate');
    clicker.clickAnswered(s, 'hate', clicker.clickOutcome(400, body, null, NOW), NOW);
    assert.equal(s.message?.text, 'Not accepted: type must be "cheers" or "hate".');
    assert.equal(s.buttons.hate.acked, 0);
    assert.equal(clicker.buttonStatus(s.buttons.hate, NOW).text, 'Not accepted');
  });

  it('honours Retry-After on 429 and 503: no click is sent until it passed', () => {
    assert.equal(clicker.parseRetryAfter('3', NOW), 3000);
    assert.equal(clicker.parseRetryAfter(new Date(NOW + 5000).toUTCString(), NOW), 5000);
    assert.equal(clicker.parseRetryAfter(null, NOW), clicker.DEFAULT_RETRY_MS);
    assert.equal(clicker.parseRetryAfter('soon', NOW), clicker.DEFAULT_RETRY_MS);

    const s = clicker.initialClickerState();
    clicker.clickSent(s, 'cheers');
    clicker.clickAnswered(s, 'cheers', clicker.clickOutcome(429, { message: 'rate limit exceeded' }, '2', NOW), NOW);
    assert.equal(clicker.canSend(s, NOW + 1999), false);
    assert.match(s.message!.text, /^Too many clicks \(rate limit exceeded\) — not recorded\. Retry in 2 s\.$/);
    clicker.tick(s, NOW + 1200);
    assert.match(s.message!.text, /Retry in 1 s\./);
    clicker.tick(s, NOW + 2000);
    assert.equal(clicker.canSend(s, NOW + 2000), true);
    assert.deepEqual([s.message?.tone, s.message?.text], ['ok', 'You can click again.']);
    clicker.tick(s, NOW + 2000 + clicker.OK_MESSAGE_MS);
    assert.equal(s.message, null);

    const u = clicker.initialClickerState();
    clicker.clickAnswered(u, 'hate', clicker.clickOutcome(503, { message: 'the log cannot take writes' }, '1', NOW), NOW);
    assert.match(u.message!.text, /^The server cannot store clicks right now \(the log cannot take writes\) — not recorded\. Retry in 1 s\.$/);
  });

  it('counts acknowledged clicks only, and says when the server is unreachable', () => {
    const s = clicker.initialClickerState();
    for (let i = 0; i < 3; i++) clicker.clickSent(s, 'cheers');
    assert.equal(clicker.buttonStatus(s.buttons.cheers, NOW).text, 'Sending 3…');
    clicker.clickAnswered(s, 'cheers', { kind: 'accepted', accepted: 1, offsets: [{ partition: 0, offset: 0 }] }, NOW);
    clicker.clickAnswered(s, 'cheers', { kind: 'accepted', accepted: 1, offsets: [{ partition: 0, offset: 1 }] }, NOW);
    clicker.clickAnswered(s, 'cheers', { kind: 'unreachable' }, NOW + 10);
    assert.equal(s.buttons.cheers.acked, 2);
    assert.equal(s.buttons.cheers.pending, 0);
    assert.match(s.message!.text, /unreachable/);
    assert.equal(clicker.buttonStatus(s.buttons.cheers, NOW + 20).tone, 'error');
    // The next acknowledgement clears the error.
    clicker.clickAnswered(s, 'cheers', { kind: 'accepted', accepted: 1, offsets: [{ partition: 0, offset: 2 }] }, NOW + 30);
    assert.equal(s.message, null);
    assert.deepEqual(clicker.buttonStatus(s.buttons.cheers, NOW + 40), { tone: 'accepted', text: 'Accepted · offset 2' });
    assert.equal(clicker.buttonStatus(s.buttons.cheers, NOW + 30 + clicker.ACK_SHOW_MS).text, 'Last: offset 2');
  });
});

describe('Clicks page rules', () => {
  const T0 = Date.parse('2026-01-01T12:00:00Z');
  const iso = (ms: number) => new Date(ms).toISOString();
  const bin = (start: number, cheers: number, hate: number, final = true) => ({ bin_start: iso(start), bin_end: iso(start + 2000), cheers, hate, final });
  const data = (over: Partial<ClicksData> = {}): ClicksData => ({
    totals: { cheers: 5, hate: 2 },
    bins: [bin(T0 - 4000, 2, 1), bin(T0 - 2000, 3, 1, false)],
    rate_per_second: 0.7,
    updated_at: iso(T0 - 500),
    ...over,
  });

  it('fills the 2 minutes with one point a bin, zeros where the server sent none', () => {
    const s = clicks.initialClicksState();
    clicks.applyClicksData(s, data({ bins: [bin(T0 - 60_000, 1, 0), bin(T0 - 2000, 3, 1, false)] }), 1_000);
    const series = clicks.binSeries(s, clicks.viewEnd(s, 1_000))!;
    assert.equal(series.cheers.length, 60);
    assert.equal(series.to, T0);
    assert.equal(series.from, T0 - 120_000);
    assert.equal(series.plotted, 5);
    assert.equal(series.liveTail, true);
    assert.deepEqual(series.cheers.filter((p) => p[1] > 0).map((p) => [p[0] - T0, p[1]]), [[-60_000, 1], [-2000, 3]]);
    assert.equal(series.hate.find((p) => p[0] === T0 - 60_000)?.[1], 0);
  });

  it('moves the time axis on with the clock while live, and freezes it while the stream is down', () => {
    const s = clicks.initialClicksState();
    clicks.setClicksConnection(s, 'live', 0);
    clicks.applyClicksData(s, data(), 1_000);
    assert.equal(clicks.viewEnd(s, 1_000), T0);
    assert.equal(clicks.viewEnd(s, 6_000), T0 + 5_000);
    assert.equal(clicks.binSeries(s, clicks.viewEnd(s, 6_000))!.to, T0 + 6_000);
    clicks.setClicksConnection(s, 'reconnecting', 7_000);
    assert.equal(clicks.viewEnd(s, 60_000), T0 + 6_000);
  });

  it('shows the server\'s rate, and 0 once nothing came for longer than the rate\'s window', () => {
    const s = clicks.initialClicksState();
    assert.equal(clicks.currentRate(s, 0), null);
    assert.equal(clicks.rateText(null), '—');
    clicks.setClicksConnection(s, 'live', 0);
    clicks.applyClicksData(s, data(), 1_000);
    assert.equal(clicks.rateText(clicks.currentRate(s, 2_000)), '0.7 clicks/s');
    assert.equal(clicks.currentRate(s, 1_000 + clicks.RATE_WINDOW_MS + 1), 0);
    assert.equal(clicks.rateText(0), '0 clicks/s');
    assert.equal(clicks.rateText(1), '1.0 click/s');
    assert.equal(clicks.rateText(0.04), '< 0.1 clicks/s');
    assert.equal(clicks.rateText(23.4), '23 clicks/s');
  });

  it('takes the totals as sent, with the cheers share, and skips malformed events', () => {
    const s = clicks.initialClicksState();
    assert.deepEqual(clicks.clickTotals(s), { cheers: 0, hate: 0, all: 0, cheersShare: null });
    clicks.applyClicksData(s, data(), 1_000);
    assert.deepEqual(clicks.clickTotals(s), { cheers: 5, hate: 2, all: 7, cheersShare: 5 / 7 });
    const version = s.version;
    clicks.applyClicksData(s, { totals: null } as unknown as ClicksData, 2_000);
    clicks.applyClicksData(s, { totals: { cheers: -1, hate: 0 }, bins: [] } as unknown as ClicksData, 2_000);
    assert.equal(s.version, version);
    // A bin that is not one is dropped, the rest kept.
    clicks.applyClicksData(s, data({ bins: [bin(T0 - 2000, 1, 1), { bin_start: 'x' } as never] }), 3_000);
    assert.equal(s.data!.bins.length, 1);
  });
});
