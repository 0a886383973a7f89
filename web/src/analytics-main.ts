/**
 * The analytics view: the outputs of the last `streamrec analytics` run, read with plain fetches
 * of /analytics/* (no stream: they change only when the batch job runs again; "Reload" fetches
 * them anew). Before the first run every route answers 404 and the page shows how to run it,
 * checking again every 15 s.
 */
import './shared.js';
import { ApiError, fetchDistributions, fetchTrending } from './analytics-api.js';
import { ALL_GENRES, type DistributionsResponse, type TopNResult, type TrendingResult } from '../../src/analytics/analytics-contract.js';
import { ratingGradientCss } from './colors.js';
import { byId, byTestId, h, setText } from './dom.js';
import { fmtAgo, fmtInt, fmtLocalDateTime } from './format.js';
import { createDistribution } from './render-distribution.js';
import { createTopN } from './render-topn.js';
import { createTrending } from './render-trending.js';

const TRENDING_LIMIT = 50;
const EMPTY_RETRY_MS = 15_000;

type Mode = 'loading' | 'empty' | 'error' | 'data';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function start(): void {
  const body = document.body;
  const loadingCard = byId('loading-card');
  const emptyCard = byTestId('analytics-empty');
  const emptyCommand = byId('empty-command');
  const errorCard = byId('error-card');
  const errorText = byId('error-text');
  const meta = byTestId('analytics-generated');
  const runPill = byId('run-pill');
  const runStatus = byId('run-status');
  const reloadBtn = byId<HTMLButtonElement>('reload');
  for (const el of document.querySelectorAll<HTMLElement>('.rating-scale-bar')) el.style.background = ratingGradientCss();

  let mode: Mode = 'loading';
  let generatedAt: string | null = null;
  let retryTimer: number | undefined;
  let loading = false;
  let lastDist: DistributionsResponse | null = null;

  const setMode = (m: Mode): void => {
    mode = m;
    loadingCard.hidden = m !== 'loading';
    emptyCard.hidden = m !== 'empty';
    errorCard.hidden = m !== 'error';
    body.classList.toggle('no-data', m !== 'data');
    body.classList.toggle('loading', m === 'loading');
  };

  const tick = (): void => {
    if (mode === 'data' && generatedAt) {
      runPill.dataset.state = 'ok';
      setText(runStatus, `Ran ${fmtAgo(Date.now() - Date.parse(generatedAt))}`);
      runPill.title = `The latest \`streamrec analytics\` run finished at ${fmtLocalDateTime(generatedAt)}`;
    } else {
      runPill.dataset.state = mode === 'empty' ? 'no_data' : mode === 'error' ? 'idle' : 'unknown';
      setText(runStatus, mode === 'empty' ? 'No run yet' : mode === 'error' ? 'Unavailable' : 'Loading…');
    }
  };

  const showMeta = (): void => {
    const all = lastDist?.distributions.find((r) => r.genre === ALL_GENRES);
    const ran = generatedAt ? [
      ' · ran at ', h('b', null, fmtLocalDateTime(generatedAt)), h('span', { class: 'muted' }, ` (${fmtAgo(Date.now() - Date.parse(generatedAt))})`),
    ] : [];
    if (all) {
      meta.replaceChildren('Analysis of ', h('b', null, fmtInt(all.ratings)), ' ratings by ', h('b', null, fmtInt(all.users)),
        ' users of ', h('b', null, fmtInt(all.movies)), ' movies', ...ran);
    } else {
      meta.replaceChildren('Outputs of the last ', h('code', null, 'streamrec analytics'), ' run', ...ran);
    }
  };

  const dist = createDistribution();
  const trending = createTrending();
  const onSectionError = (err: unknown): void => {
    if (err instanceof ApiError && err.noAnalytics) void load();
    else console.error('streamrec analytics:', err);
  };
  const topn = createTopN((err) => {
    onSectionError(err);
    if (!(err instanceof ApiError && err.noAnalytics)) setText(byId('topn-caption'), `Could not load this period: ${messageOf(err)}`);
  });

  const load = async (): Promise<void> => {
    if (loading) return;
    loading = true;
    window.clearTimeout(retryTimer);
    reloadBtn.disabled = true;
    reloadBtn.classList.add('spinning');
    try {
      const [d, t, tr] = await Promise.allSettled([fetchDistributions(), topn.reload(), fetchTrending(TRENDING_LIMIT)]);
      const failures = [d, t, tr].flatMap((x) => (x.status === 'rejected' ? [x.reason as unknown] : []));
      const none = failures.find((e) => e instanceof ApiError && e.noAnalytics) as ApiError | undefined;
      if (none) {
        const cmd = /`([^`]+)`/.exec(none.message)?.[1] ?? 'streamrec analytics';
        setText(emptyCommand, cmd);
        generatedAt = null;
        setMode('empty');
        meta.replaceChildren('Waiting for the first run of the batch job.');
        retryTimer = window.setTimeout(() => void load(), EMPTY_RETRY_MS);
        return;
      }
      if (failures.length === 3) {
        setText(errorText, messageOf(failures[0]));
        setMode('error');
        meta.replaceChildren('The analytics outputs could not be read.');
        return;
      }
      const ok = <T>(x: PromiseSettledResult<T>): T | null => (x.status === 'fulfilled' ? x.value : null);
      const dv = ok(d);
      const tv: TopNResult | null = ok(t);
      const trv: TrendingResult | null = ok(tr);
      generatedAt = dv?.generated_at ?? tv?.generated_at ?? trv?.generated_at ?? null;
      // Unhide first: the charts size themselves to their (now visible) containers.
      setMode('data');
      lastDist = dv;
      showMeta();
      if (dv) dist.show(dv);
      else if (d.status === 'rejected') dist.fail(messageOf(d.reason));
      if (tv) topn.display(tv);
      else if (t.status === 'rejected') topn.fail(messageOf(t.reason));
      if (trv) trending.show(trv);
      else if (tr.status === 'rejected') trending.fail(messageOf(tr.reason));
    } finally {
      loading = false;
      reloadBtn.disabled = false;
      reloadBtn.classList.remove('spinning');
      tick();
    }
  };

  reloadBtn.addEventListener('click', () => void load());
  byId('retry').addEventListener('click', () => void load());
  window.setInterval(() => {
    tick();
    if (mode === 'data') showMeta();
  }, 30_000);
  setMode('loading');
  tick();
  void load();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
