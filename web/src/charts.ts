/**
 * ECharts, tree-shaken: only the bar, line and pie charts and the grid, tooltip and (plain) legend
 * components are registered, rendered to canvas. Shared axis/tooltip styling lives here.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import type { BarSeriesOption, LineSeriesOption, PieSeriesOption } from 'echarts/charts';
import { GridComponent, LegendPlainComponent, TooltipComponent } from 'echarts/components';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { C } from './colors.js';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendPlainComponent, TooltipComponent, CanvasRenderer]);

export type ChartOption = echarts.ComposeOption<
  BarSeriesOption | LineSeriesOption | PieSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>;

export const FONT = 'Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

/** A chart on `el` that follows the element's size. */
export class Chart {
  private readonly chart: echarts.ECharts;
  private readonly observer: ResizeObserver;

  /** `onResize` runs after the chart followed a size change (for layouts computed in pixels). */
  constructor(readonly el: HTMLElement, onResize?: () => void) {
    this.chart = echarts.init(el, null, { renderer: 'canvas' });
    this.observer = new ResizeObserver(() => {
      this.chart.resize();
      onResize?.();
    });
    this.observer.observe(el);
  }

  /** Merges `option` into the chart; `replace` drops series/components not in it. */
  set(option: ChartOption, replace = false): void {
    this.chart.setOption(option, { notMerge: replace, lazyUpdate: true });
  }

  dispose(): void {
    this.observer.disconnect();
    this.chart.dispose();
  }
}

export function baseOption(): ChartOption {
  return {
    backgroundColor: 'transparent',
    textStyle: { fontFamily: FONT, color: C.muted },
    animationDuration: 400,
    animationDurationUpdate: 300,
    tooltip: tooltip(),
  };
}

export function tooltip(extra: TooltipComponentOption = {}): TooltipComponentOption {
  return {
    backgroundColor: C.tooltipBg,
    borderColor: C.tooltipBorder,
    borderWidth: 1,
    padding: [8, 12],
    textStyle: { color: C.text, fontFamily: FONT, fontSize: 12 },
    extraCssText: 'border-radius:10px;box-shadow:0 10px 30px rgba(0,0,0,.45);',
    confine: true,
    ...extra,
  };
}

export const axisLabel = { color: C.muted, fontSize: 11, fontFamily: FONT };
export const splitLine = { lineStyle: { color: C.grid } };
export const axisLine = { lineStyle: { color: C.axis } };

/** A tooltip row with a coloured dot; values are our own formatted numbers. */
export function tipRow(color: string, label: string, value: string): string {
  return `<div style="display:flex;align-items:center;gap:8px;justify-content:space-between;min-width:150px">`
    + `<span style="display:flex;align-items:center;gap:6px"><span style="width:8px;height:8px;border-radius:50%;background:${color};display:inline-block"></span>`
    + `<span style="color:${C.muted}">${escapeHtml(label)}</span></span><b style="font-weight:600">${escapeHtml(value)}</b></div>`;
}

export function tipTitle(text: string): string {
  return `<div style="font-weight:600;margin-bottom:6px;color:${C.text}">${escapeHtml(text)}</div>`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
