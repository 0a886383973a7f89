/**
 * Top movies per period: an hour/day toggle, previous/next navigation (`at` = period_start − 1 ms
 * or period_end), the top-10 bar chart and the top-50 table. Fetched periods are kept, and the
 * period before the shown one is fetched ahead (to know whether "previous" leads anywhere).
 */
import { fetchTopN } from './analytics-api.js';
import type { TopNPeriod, TopNResult } from '../../src/analytics/analytics-contract.js';
import { barCell, emptyRow, genreChips, ratingCell, titleCell } from './cells.js';
import { Chart } from './charts.js';
import { byId, byTestId, h, setText } from './dom.js';
import { fmtInt, fmtUtcDay, fmtUtcHm } from './format.js';
import { topBarsOption, type BarMovie } from './top-bars.js';

const CHART_ROWS = 10;
const PERIOD_MS: Record<TopNPeriod, number> = { hour: 3_600_000, day: 86_400_000 };

/** "Mon 3 Nov 2025 · 23:00–24:00 UTC" / "Mon 3 Nov 2025 · UTC day". */
export function periodLabel(r: Pick<TopNResult, 'period' | 'period_start' | 'period_end'>): string {
  if (r.period_start === null || r.period_end === null) return 'no ratings analysed';
  return r.period === 'hour'
    ? `${fmtUtcDay(r.period_start)} · ${fmtUtcHm(r.period_start)}–${fmtUtcHm(r.period_end, true)} UTC`
    : `${fmtUtcDay(r.period_start)} · whole day, UTC`;
}

function topRows(r: TopNResult): BarMovie[] {
  return (Array.isArray(r.rows) ? r.rows : []).slice(0, CHART_ROWS)
    .map((m) => ({ title: m.title, genres: m.genres, avg_rating: m.avg_rating, count: m.rating_count, score: m.score, rank: m.rank }));
}

export interface TopNView {
  /** Drops what was fetched and fetches the latest hour or day (of the period shown); rejects like fetch. */
  reload(): Promise<TopNResult>;
  /** Shows a result of reload() (once the section is visible). */
  display(r: TopNResult): void;
  fail(message: string): void;
}

export function createTopN(onError: (err: unknown) => void): TopNView {
  const chartEl = byTestId('analytics-topn-chart');
  const note = chartEl.parentElement?.querySelector<HTMLElement>('.chart-note') ?? null;
  const table = byTestId<HTMLTableElement>('analytics-topn-table');
  const tbody = table.tBodies[0] ?? table.createTBody();
  const toggle = byTestId('analytics-period-toggle');
  const prevBtn = byId<HTMLButtonElement>('period-prev');
  const nextBtn = byId<HTMLButtonElement>('period-next');
  const latestBtn = byId<HTMLButtonElement>('period-latest');
  const label = byId('period-label');
  const caption = byId('topn-caption');
  const card = byId('topn-card');
  let chart: Chart | null = null;

  let period: TopNPeriod = 'hour';
  let shown: TopNResult | null = null;
  /** Requests by period and period start (or "latest"); failed ones are dropped. */
  let cache = new Map<string, Promise<TopNResult>>();
  let seq = 0;

  const keyOf = (p: TopNPeriod, at: string | null): string => {
    if (at === null) return `${p}|latest`;
    return `${p}|${Math.floor(Date.parse(at) / PERIOD_MS[p]) * PERIOD_MS[p]}`;
  };
  const get = (p: TopNPeriod, at: string | null): Promise<TopNResult> => {
    const key = keyOf(p, at);
    let req = cache.get(key);
    if (!req) {
      const mine = cache;
      req = fetchTopN(p, at);
      const sent = req;
      sent.then(
        (r) => { if (at === null && r.period_start !== null && mine === cache) mine.set(keyOf(p, r.period_start), sent); },
        () => { if (mine.get(key) === sent) mine.delete(key); },
      );
      cache.set(key, sent);
    }
    return req;
  };
  /** Start (ms) of the latest period with ratings, once known. */
  const latestStart = async (p: TopNPeriod): Promise<number | null> => {
    const r = await get(p, null);
    return r.period_start === null ? null : Date.parse(r.period_start);
  };

  const setButtons = (): void => {
    for (const b of toggle.querySelectorAll<HTMLButtonElement>('button[data-period]')) b.setAttribute('aria-pressed', String(b.dataset.period === period));
  };

  const render = (r: TopNResult): void => {
    shown = r;
    // Re-laid out on resize: the title labels take a share of the chart's width.
    chart ??= new Chart(chartEl, () => {
      if (chart && shown) chart.set(topBarsOption(chartEl, topRows(shown)), true);
    });
    setText(label, periodLabel(r));
    const rows = Array.isArray(r.rows) ? r.rows : [];
    const what = r.period === 'hour' ? 'hour' : 'day';
    setText(caption, rows.length > 0
      ? `Score = ratings × average rating · the top ${fmtInt(rows.length)} got ${fmtInt(rows.reduce((a, m) => a + m.rating_count, 0))} ratings this ${what}`
      : `Score = ratings × average rating · no ratings this ${what}`);
    const top = topRows(r);
    if (note) { note.hidden = top.length > 0; note.textContent = `No ratings in this ${what}`; }
    chart.set(topBarsOption(chartEl, top), true);

    const maxScore = Math.max(1, ...rows.map((m) => m.score));
    const trs = rows.map((m) => h('tr', null,
      h('td', { class: 'rank' }, String(m.rank)),
      titleCell(m.title),
      h('td', { class: 'genres' }, genreChips(m.genres, 2)),
      h('td', { class: 'num' }, fmtInt(m.rating_count)),
      ratingCell(m.avg_rating),
      barCell(m.score, maxScore),
    ));
    if (trs.length === 0) trs.push(emptyRow(6, `No ratings in this ${what}`));
    tbody.replaceChildren(...trs);
    table.parentElement?.scrollTo({ top: 0 });
  };

  /** Enables previous / next / latest for the shown period (previous: is there anything before it?). */
  const updateNav = async (r: TopNResult, mySeq: number): Promise<void> => {
    const start = r.period_start === null ? null : Date.parse(r.period_start);
    prevBtn.disabled = start === null;
    nextBtn.disabled = true;
    latestBtn.disabled = true;
    if (start === null) return;
    try {
      const latest = await latestStart(r.period);
      if (mySeq !== seq) return;
      nextBtn.disabled = latest === null || start >= latest;
      latestBtn.disabled = nextBtn.disabled;
      const before = await get(r.period, new Date(start - 1).toISOString());
      if (mySeq !== seq) return;
      prevBtn.disabled = before.rows.length === 0;
    } catch {
      // Navigation stays possible; the click reports the error.
    }
  };

  const show = async (p: TopNPeriod, at: string | null): Promise<TopNResult> => {
    const mySeq = ++seq;
    period = p;
    setButtons();
    card.classList.add('busy');
    try {
      const r = await get(p, at);
      if (mySeq === seq) {
        render(r);
        void updateNav(r, mySeq);
      }
      return r;
    } finally {
      if (mySeq === seq) card.classList.remove('busy');
    }
  };
  const go = (p: TopNPeriod, at: string | null): void => {
    show(p, at).catch(onError);
  };

  prevBtn.addEventListener('click', () => {
    if (shown?.period_start) go(period, new Date(Date.parse(shown.period_start) - 1).toISOString());
  });
  nextBtn.addEventListener('click', () => {
    if (shown?.period_end) go(period, shown.period_end);
  });
  latestBtn.addEventListener('click', () => go(period, null));
  toggle.addEventListener('click', (ev) => {
    const p = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-period]')?.dataset.period;
    if ((p !== 'hour' && p !== 'day') || p === period) return;
    void (async () => {
      // Keep the place in time: the day of the shown hour, or the last hour (with ratings) of the shown day.
      let at: string | null = null;
      if (shown?.period_start && shown.period_end) {
        if (p === 'day') at = shown.period_start;
        else {
          const lastHour = Date.parse(shown.period_end) - 1;
          const latest = await latestStart('hour').catch(() => null);
          at = latest !== null && lastHour >= latest ? null : new Date(lastHour).toISOString();
        }
      }
      await show(p, at);
    })().catch(onError);
  });

  return {
    reload() {
      cache = new Map();
      shown = null;
      seq++;
      return get(period, null);
    },
    display(r) {
      const mySeq = ++seq;
      period = r.period;
      setButtons();
      render(r);
      void updateNav(r, mySeq);
    },
    fail(message) {
      shown = null;
      setText(label, '—');
      setText(caption, `Could not load the top movies: ${message}`);
      prevBtn.disabled = nextBtn.disabled = latestBtn.disabled = true;
      tbody.replaceChildren(emptyRow(6, message));
      if (note) { note.hidden = false; note.textContent = 'Could not load the top movies'; }
    },
  };
}
