/**
 * The Recommendations page's pure rules (web/src/recommend-state.ts), in Node: esbuild bundles the
 * module to a temporary file (the web code is not part of the Node build).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import type { RecommendPageHealth, RetrainStatus, UserStreamEvents, UserViewModel, UserViewResponse } from '../../src/recommend/serving/page-contract.js';
import { tempDir } from '../helpers/tmp.js';

const WEB_SRC = resolve(import.meta.dirname, '../../../web/src');

/* The module's shapes, as far as the tests use them (importing its types would pull web/src into the Node build). */
interface Sent { movieId: number; rating: number; sentAt: number; state: string; message: string | null }
interface State {
  userId: number | null;
  view: UserViewResponse | null;
  viewError: string | null;
  loading: boolean;
  changed: Record<string, Set<number>>;
  changedAt: number | null;
  cause: string | null;
  sent: Sent[];
  version: number;
}
interface Rules {
  SENT_SHOW_MS: number;
  initialRecommendState(): State;
  parseUserId(text: string): { userId: number } | { error: string };
  selectUser(s: State, userId: number): void;
  applyView(s: State, view: UserViewResponse, cause: string, now: number): void;
  viewFailed(s: State, userId: number, message: string): void;
  applyStreamEvent(s: State, e: { ratings: UserStreamEvents['ratings'] } | { models: UserStreamEvents['models'] }): boolean;
  ratingSent(s: State, movieId: number, rating: number, now: number): Sent;
  ratingAnswered(s: State, sent: Sent, ok: boolean, message: string | null): void;
  visibleSent(s: State, now: number): Sent[];
  sentText(r: Sent, title: string): string;
  freshnessRows(h: RecommendPageHealth | null, at: number | null, now: number): { model: string; isDefault: boolean; ageSeconds: number; notSeen: number | null }[];
  retrainText(r: RetrainStatus | null, now: number): string;
  durationText(s: number): string;
  newItems(prev: UserViewModel | undefined, next: UserViewModel): Set<number>;
}

let rules: Rules;
const tmp = tempDir('streamrec-web-rules-');

before(async () => {
  const out = await esbuild.build({ entryPoints: [join(WEB_SRC, 'recommend-state.ts')], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'silent' });
  const file = join(tmp.dir, 'recommend-state.mjs');
  writeFileSync(file, out.outputFiles[0]!.text);
  rules = (await import(pathToFileURL(file).href)) as Rules;
});
after(() => tmp.cleanup());

const item = (movieId: number, rank: number) => ({ movie_id: movieId, title: `M${movieId}`, genres: [], rank, score: 1 / rank, predicted_rating: 4, because: [] });
const model = (name: string, ids: number[]): UserViewModel => ({ model: name, version: 'v1', default: name === 'hybrid', source: 'model', recommendations: ids.map((m, i) => item(m, i + 1)) });
function view(userId: number, lists: Record<string, number[]>, streamed: [number, number][] = []): UserViewResponse {
  return {
    user_id: userId,
    in_training_data: true,
    ratings: { count: 10, streamed: streamed.length, recent: streamed.map(([m, r]) => ({ movie_id: m, title: `M${m}`, genres: [], rating: r, rated_at: '2026-01-01T00:00:00Z', streamed: true })) },
    models: Object.entries(lists).map(([name, ids]) => model(name, ids)),
    default_model: 'hybrid',
    timestamp: '2026-01-01T00:00:00Z',
  };
}

describe('Recommendations page rules', () => {
  it('reads a user id, naming what is wrong', () => {
    assert.deepEqual(rules.parseUserId(' 42 '), { userId: 42 });
    assert.match((rules.parseUserId('') as { error: string }).error, /Type a user id/);
    assert.match((rules.parseUserId('4.5') as { error: string }).error, /not a user id/);
    assert.match((rules.parseUserId('0') as { error: string }).error, /from 1 to 2147483647/);
    assert.match((rules.parseUserId('99999999999') as { error: string }).error, /outside/);
  });

  it('marks the movies new in each list when the same user\'s view changes, not on a look-up', () => {
    const s = rules.initialRecommendState();
    rules.selectUser(s, 7);
    assert.equal(s.loading, true);
    rules.applyView(s, view(7, { hybrid: [1, 2, 3], als: [4, 5, 6] }), 'lookup', 1000);
    assert.deepEqual(s.changed, {});
    assert.equal(s.cause, 'lookup');
    assert.equal(s.loading, false);
    rules.applyView(s, view(7, { hybrid: [2, 3, 9], als: [4, 5, 6] }), 'ratings', 2000);
    assert.deepEqual([...s.changed.hybrid!], [9]);
    assert.deepEqual([...s.changed.als!], []);
    assert.equal(s.changedAt, 2000);
    assert.equal(s.cause, 'ratings');
    // The same lists again: the marks stay as they were.
    rules.applyView(s, view(7, { hybrid: [2, 3, 9], als: [4, 5, 6] }), 'models', 3000);
    assert.equal(s.changedAt, 2000);
    // A late answer for another user is dropped; a new user starts clean.
    rules.selectUser(s, 8);
    assert.equal(s.view, null);
    rules.applyView(s, view(7, { hybrid: [1] }), 'lookup', 4000);
    assert.equal(s.view, null);
    rules.viewFailed(s, 8, 'unknown');
    assert.equal(s.viewError, 'unknown');
    rules.viewFailed(s, 7, 'stale');
    assert.equal(s.viewError, 'unknown');
  });

  it('follows a rating sent from the page until it is applied, from the stream or the view', () => {
    const s = rules.initialRecommendState();
    rules.selectUser(s, 7);
    rules.applyView(s, view(7, { hybrid: [1, 2] }), 'lookup', 0);
    const a = rules.ratingSent(s, 1, 5, 100);
    assert.equal(rules.sentText(a, 'M1'), 'M1 ★5: sending…');
    rules.ratingAnswered(s, a, true, null);
    assert.match(rules.sentText(a, 'M1'), /in the log, waiting for it on the stream/);
    assert.equal(rules.applyStreamEvent(s, { ratings: { user_id: 8, ratings: [{ movie_id: 1, rating: 5, timestamp: 1 }] } }), false, 'another user\'s event');
    assert.equal(a.state, 'accepted');
    assert.equal(rules.applyStreamEvent(s, { ratings: { user_id: 7, ratings: [{ movie_id: 1, rating: 5, timestamp: 1 }] } }), true);
    assert.equal(a.state, 'applied');
    assert.equal(rules.visibleSent(s, 100 + rules.SENT_SHOW_MS - 1).length, 1);
    assert.equal(rules.visibleSent(s, 100 + rules.SENT_SHOW_MS).length, 0, 'an applied rating leaves the list after a while');

    const b = rules.ratingSent(s, 2, 3, 200);
    rules.ratingAnswered(s, b, true, null);
    rules.applyView(s, view(7, { hybrid: [5, 6] }, [[2, 3]]), 'ratings', 300);
    assert.equal(b.state, 'applied', 'the view holds it');
    const c = rules.ratingSent(s, 3, 1, 400);
    rules.ratingAnswered(s, c, false, 'too many events');
    assert.equal(rules.sentText(c, 'M3'), 'M3 ★1: not sent — too many events');
    assert.equal(rules.visibleSent(s, 10 ** 9).length, 1, 'a failed one stays');
    assert.equal(rules.applyStreamEvent(s, { models: { model_versions: { als: 'v2' } } }), true, 'new models: refetch');
  });

  it('ages the models from health on the client clock, the default first', () => {
    const f = (age: number, notSeen: number | null) => ({ version: 'v', trained_at: '', age_seconds: age, dataset: 'lake', ratings_not_seen: notSeen });
    const health: RecommendPageHealth = { status: 'healthy', default_model: 'hybrid', models: {}, freshness: { als: f(10, 3), hybrid: f(20, null), content: f(5, 0) }, retrain: null, timestamp: '' };
    const rows = rules.freshnessRows(health, 1000, 31_000);
    assert.deepEqual(rows.map((r) => [r.model, r.isDefault, r.ageSeconds, r.notSeen]), [['hybrid', true, 50, null], ['als', false, 40, 3], ['content', false, 35, 0]]);
    assert.deepEqual(rules.freshnessRows(null, null, 0), []);
  });

  it('says what the retrain schedule does', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    assert.match(rules.retrainText(null, now), /No retrain schedule/);
    const r: RetrainStatus = {
      every_seconds: 3600, after_ratings: 10_000, models: [], running: null, runs: 1, failures: 0, pending_ratings: 12,
      last: { reason: 'schedule', started_at: '2026-01-01T11:00:00Z', finished_at: '2026-01-01T11:01:00Z', seconds: 60, ok: true, message: 'als v2 (1s)' },
      next_at: '2026-01-01T12:00:30Z',
    };
    assert.equal(rules.retrainText(r, now), 'Retrains from the lake every 1h 00m or after 10,000 unseen ratings · next in 30 s · last done 59m 00s ago: als v2 (1s)');
    const running = { ...r, running: { ...r.last!, started_at: '2026-01-01T11:59:50Z', finished_at: null, ok: null, message: null } };
    assert.match(rules.retrainText(running, now), /running for 10 s/);
    assert.deepEqual([0, 59, 150, 7200, 90_000].map(rules.durationText), ['0 s', '59 s', '2m 30s', '2h 00m', '1d 1h']);
  });
});
