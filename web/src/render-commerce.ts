/**
 * The Commerce page's sections: the KPIs, the revenue per window (bars, the open window lighter),
 * sales by category (bars), behaviours by type (bars), the latest orders and the top searches
 * (tables). Each is a renderer `(state, now) => void` that skips work while the state's version
 * is unchanged. The data rules are in commerce-state.ts.
 */
import { emptyRow } from './cells.js';
import { axisLabel, baseOption, Chart, splitLine, tipRow, tipTitle, tooltip, type ChartOption } from './charts.js';
import { C } from './colors.js';
import { byId, byTestId, h, setText } from './dom.js';
import { fmtInt, fmtPct, fmtTime, truncate } from './format.js';
import {
  behaviorRows,
  categoryRows,
  commerceKpis,
  fmtConversion,
  fmtMoney,
  fmtMoneyShort,
  revenueBars,
  topSearches,
  type CommerceState,
} from './commerce-state.js';

type Renderer = (s: CommerceState, now: number) => void;

const hms = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

/** One colour a category, fixed by its name, so it stays put as the ranking changes. */
const CATEGORY_PALETTE = ['#7c8cff', '#38bdf8', '#34d399', '#fbbf24', '#f472b6', '#a78bfa', '#fb923c', '#22d3ee', '#facc15', '#fb7185', '#4ade80', '#c084fc'];
export function categoryColor(name: string): string {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) >>> 0;
  return CATEGORY_PALETTE[hash % CATEGORY_PALETTE.length]!;
}

const BEHAVIOR_COLORS: Record<string, string> = {
  page_view: C.accent,
  product_view: C.cyan,
  add_to_cart: C.green,
  remove_from_cart: C.rose,
  search: C.amber,
};

/** Runs `render` only when the state changed since the last call. */
function onChange(render: Renderer): Renderer {
  let version = -1;
  return (s, now) => {
    if (s.version === version) return;
    version = s.version;
    render(s, now);
  };
}

function setNote(chartEl: HTMLElement, text: string | null): void {
  const note = chartEl.parentElement?.querySelector<HTMLElement>('.chart-note');
  if (!note) return;
  note.hidden = text === null;
  if (text !== null) setText(note, text);
}

export function createCommerceKpis(): Renderer {
  const revenue = byTestId('kpi-revenue');
  const revenueTotal = byTestId('kpi-revenue-total');
  const orders = byTestId('kpi-orders');
  const ordersTotal = byTestId('kpi-orders-total');
  const aov = byTestId('kpi-aov');
  const aovTotal = byTestId('kpi-aov-total');
  const customers = byTestId('kpi-customers');
  const conversion = byTestId('kpi-conversion');
  const cart = byTestId('kpi-cart');
  const windowText = byId('data-window');

  return onChange((s) => {
    const k = commerceKpis(s);
    setText(revenue, fmtMoney(k.revenue));
    setText(orders, fmtInt(k.orders));
    setText(aov, fmtMoney(k.aov));
    setText(customers, fmtInt(k.customers));
    setText(conversion, fmtConversion(k.conversion));
    setText(revenueTotal, k.totalRevenue === null ? 'this window' : `this window · ${fmtMoney(k.totalRevenue)} in all`);
    setText(ordersTotal, k.totalOrders === null ? 'this window' : `this window · ${fmtInt(k.totalOrders)} in all`);
    setText(aovTotal, k.totalAov === null ? 'this window' : `this window · ${fmtMoney(k.totalAov)} overall`);
    setText(cart, k.cart === null ? 'orders per add to cart' : `orders per add · ${fmtInt(k.cart.adds)} adds · ${fmtInt(k.cart.removes)} removes`);
    setText(windowText, k.window === null
      ? 'no window yet'
      : `window ${hms.format(k.window.start)}–${hms.format(k.window.end)}${k.window.final ? ' (final)' : ' (open)'}`);
  });
}

export function createRevenueChart(): Renderer {
  const el = byTestId('chart-revenue');
  let chart: Chart | null = null;
  return onChange((s) => {
    const bars = revenueBars(s);
    if (bars.length === 0) return;
    chart ??= new Chart(el);
    const total = bars.reduce((a, b) => a + b.revenue, 0);
    el.dataset.windows = String(bars.length);
    el.dataset.revenue = total.toFixed(2);
    setNote(el, total > 0 ? null : 'No orders in the last 10 minutes yet');
    const option: ChartOption = {
      ...baseOption(),
      grid: { left: 8, right: 12, top: 30, bottom: 4, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
      legend: {
        top: 0, right: 4, itemWidth: 14, itemHeight: 8, icon: 'roundRect',
        textStyle: { color: C.muted, fontSize: 11 }, data: ['Revenue', 'Orders'],
      },
      tooltip: tooltip({
        trigger: 'axis',
        axisPointer: { type: 'shadow', shadowStyle: { color: 'rgba(148,163,184,0.06)' } },
        formatter: (params: unknown) => {
          const list = (Array.isArray(params) ? params : [params]) as { dataIndex: number }[];
          const b = bars[list[0]?.dataIndex ?? -1];
          if (!b) return '';
          return tipTitle(`${hms.format(b.start)}–${hms.format(b.end)}${b.final ? '' : ' · open'}`)
            + tipRow(C.green, 'Revenue', fmtMoney(b.revenue))
            + tipRow(C.accent, 'Orders', fmtInt(b.orders))
            + tipRow(C.violet, 'Avg order', b.orders > 0 ? fmtMoney(b.revenue / b.orders) : '—');
        },
      }),
      xAxis: {
        type: 'category',
        data: bars.map((b) => hms.format(b.start)),
        axisLabel: { ...axisLabel, hideOverlap: true },
        axisLine: { lineStyle: { color: C.axis } }, axisTick: { show: false },
      },
      yAxis: [
        {
          type: 'value', min: 0, splitNumber: 4,
          axisLabel: { ...axisLabel, formatter: (v: number) => fmtMoneyShort(v) },
          axisLine: { show: false }, axisTick: { show: false }, splitLine,
        },
        {
          type: 'value', min: 0, minInterval: 1, splitNumber: 4,
          axisLabel: { ...axisLabel, formatter: (v: number) => fmtInt(v) },
          axisLine: { show: false }, axisTick: { show: false }, splitLine: { show: false },
        },
      ],
      series: [
        {
          name: 'Revenue', type: 'bar', yAxisIndex: 0, barMaxWidth: 28, barCategoryGap: '28%',
          data: bars.map((b) => ({
            value: b.revenue,
            itemStyle: { color: b.final ? C.green : 'rgba(52,211,153,0.45)', borderRadius: [4, 4, 0, 0], borderColor: b.final ? undefined : C.green, borderWidth: b.final ? 0 : 1, borderType: 'dashed' },
          })),
          itemStyle: { color: C.green },
        },
        {
          name: 'Orders', type: 'line', yAxisIndex: 1, data: bars.map((b) => b.orders),
          smooth: 0.25, showSymbol: false, lineStyle: { width: 2, color: C.accent }, itemStyle: { color: C.accent },
        },
      ],
    };
    chart.set(option, true);
  });
}

export function createCategoryChart(): Renderer {
  const el = byTestId('chart-categories');
  const caption = document.querySelector<HTMLElement>('#category-caption');
  let chart: Chart | null = null;
  return onChange((s) => {
    if (!s.summary) return;
    chart ??= new Chart(el);
    const rows = categoryRows(s);
    el.dataset.categories = String(rows.length);
    setNote(el, rows.length > 0 ? null : 'No items sold in this window yet');
    if (caption) setText(caption, `Revenue this window · ${fmtInt(rows.reduce((a, r) => a + r.units, 0))} units`);
    const labelWidth = Math.round(Math.min(140, Math.max(70, el.clientWidth * 0.34)));
    const option: ChartOption = {
      ...baseOption(),
      // Quick updates: the ranking changes as the window fills, and long moves blur the labels.
      animationDurationUpdate: 200,
      grid: { left: 8, right: 64, top: 4, bottom: 4, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
      tooltip: tooltip({
        trigger: 'item',
        formatter: (p: unknown) => {
          const r = rows[(p as { dataIndex: number }).dataIndex];
          if (!r) return '';
          return tipTitle(r.category)
            + tipRow(categoryColor(r.category), 'Revenue', fmtMoney(r.revenue))
            + tipRow(C.cyan, 'Units', fmtInt(r.units))
            + tipRow(C.muted, 'Share', fmtPct(r.share));
        },
      }),
      xAxis: { type: 'value', min: 0, splitNumber: 3, axisLabel: { ...axisLabel, formatter: (v: number) => fmtMoneyShort(v) }, splitLine },
      yAxis: {
        type: 'category', inverse: true, data: rows.map((r) => truncate(r.category, 18)),
        axisLabel: { ...axisLabel, color: C.text, fontSize: 12, width: labelWidth, overflow: 'truncate' },
        axisLine: { show: false }, axisTick: { show: false },
      },
      series: [{
        type: 'bar', name: 'Revenue', barMaxWidth: 20, barCategoryGap: '34%',
        data: rows.map((r) => ({ value: r.revenue, itemStyle: { color: categoryColor(r.category), borderRadius: [0, 5, 5, 0] } })),
        label: { show: true, position: 'right', color: C.muted, fontSize: 11, formatter: (p: unknown) => fmtMoneyShort((p as { value: number }).value) },
        showBackground: true,
        backgroundStyle: { color: 'rgba(148,163,184,0.05)', borderRadius: [0, 5, 5, 0] },
      }],
    };
    chart.set(option, true);
  });
}

export function createBehaviorChart(): Renderer {
  const el = byTestId('chart-behaviors');
  let chart: Chart | null = null;
  return onChange((s) => {
    if (!s.summary) return;
    chart ??= new Chart(el);
    const rows = behaviorRows(s);
    const total = rows.reduce((a, r) => a + r.count, 0);
    el.dataset.behaviors = String(total);
    setNote(el, total > 0 ? null : 'No behaviour events in this window yet');
    const option: ChartOption = {
      ...baseOption(),
      animationDurationUpdate: 200,
      grid: { left: 8, right: 40, top: 4, bottom: 4, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
      tooltip: tooltip({
        trigger: 'item',
        formatter: (p: unknown) => {
          const r = rows[(p as { dataIndex: number }).dataIndex];
          return r ? tipTitle(r.label) + tipRow(BEHAVIOR_COLORS[r.action] ?? C.other, 'Events', fmtInt(r.count)) + tipRow(C.muted, 'Share', fmtPct(total > 0 ? r.count / total : null)) : '';
        },
      }),
      xAxis: { type: 'value', min: 0, minInterval: 1, splitNumber: 2, axisLabel: { ...axisLabel, formatter: (v: number) => fmtInt(v) }, splitLine },
      yAxis: {
        type: 'category', inverse: true, data: rows.map((r) => r.label),
        axisLabel: { ...axisLabel, color: C.text, fontSize: 12 },
        axisLine: { show: false }, axisTick: { show: false },
      },
      series: [{
        type: 'bar', name: 'Events', barMaxWidth: 18, barCategoryGap: '34%',
        data: rows.map((r) => ({ value: r.count, itemStyle: { color: BEHAVIOR_COLORS[r.action] ?? C.other, borderRadius: [0, 5, 5, 0] } })),
        label: { show: true, position: 'right', color: C.muted, fontSize: 11, formatter: (p: unknown) => fmtInt((p as { value: number }).value) },
        showBackground: true,
        backgroundStyle: { color: 'rgba(148,163,184,0.05)', borderRadius: [0, 5, 5, 0] },
      }],
    };
    chart.set(option, true);
  });
}

/**
 * The latest orders. A row is built once per order and stays in the DOM while the order is shown,
 * so the flash of an order that arrived after the first ones plays once, not on every render.
 */
export function createOrdersTable(): Renderer {
  const table = byTestId<HTMLTableElement>('table-orders');
  const tbody = table.tBodies[0] ?? table.createTBody();
  let rowsById = new Map<number, HTMLTableRowElement>();
  return onChange((s) => {
    const next = new Map<number, HTMLTableRowElement>();
    for (const o of s.orders) {
      const row = rowsById.get(o.transaction_id) ?? h('tr', { class: s.fresh.has(o.transaction_id) ? 'fresh' : null, 'data-order': o.transaction_id },
        h('td', { class: 'order-id' }, `#${o.transaction_id}`),
        h('td', { class: 'time' }, fmtTime(o.timestamp)),
        h('td', { class: 'num' }, String(o.customer_id)),
        h('td', { class: 'num' }, fmtInt(o.items_count)),
        h('td', { class: 'num money' }, fmtMoney(o.total)),
      );
      next.set(o.transaction_id, row);
    }
    rowsById = next;
    const rows: HTMLTableRowElement[] = [...next.values()];
    if (rows.length === 0) rows.push(emptyRow(5, s.hasData ? 'No orders yet' : 'Waiting for the stream…'));
    // Insert and remove around the kept rows: moving a row out of the DOM and back (as
    // replaceChildren does) would restart its flash.
    rows.forEach((row, i) => {
      if (tbody.rows[i] !== row) tbody.insertBefore(row, tbody.rows[i] ?? null);
    });
    while (tbody.rows.length > rows.length) tbody.deleteRow(-1);
  });
}

export function createSearchesTable(): Renderer {
  const table = byTestId<HTMLTableElement>('table-searches');
  const tbody = table.tBodies[0] ?? table.createTBody();
  return onChange((s) => {
    const list = topSearches(s);
    const rows = list.map((t, i) => h('tr', null,
      h('td', { class: 'rank' }, String(i + 1)),
      h('td', { class: 'title' }, h('span', { class: 'name', title: t.query }, t.query)),
      h('td', { class: 'num' }, fmtInt(t.count)),
    ));
    if (rows.length === 0) rows.push(emptyRow(3, 'No searches in this window yet'));
    tbody.replaceChildren(...rows);
  });
}
