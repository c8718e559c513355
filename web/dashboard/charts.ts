import uPlot from 'uplot';
import { h } from './dom.js';
import { tick } from './format.js';

/**
 * Line charts over rounds with uPlot: one figure per chart, redrawn in place
 * as rounds arrive (rebuilt only when the set of lines changes), sized to
 * its card. The figure carries `data-points` (non-empty points of its first
 * line) and `data-rounds` for tests and for anyone curious.
 */

export const PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#7c3aed', '#0d9488'];

export interface Line {
  readonly label: string;
  readonly color: string;
  readonly values: readonly (number | null)[];
  readonly dash?: readonly number[];
  readonly width?: number;
  /** A second y axis on the right. */
  readonly right?: boolean;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Values in [0, 1] shown as per cent, on a fixed 0-100 % axis. */
  readonly percent?: boolean;
  readonly yFormat?: (v: number) => string;
  readonly y2Label?: string;
  readonly y2Format?: (v: number) => string;
  readonly height?: number;
  /** The y axis starts at 0 (counts, bytes). */
  readonly zero?: boolean;
  /** What the empty chart says. */
  readonly empty?: string;
}

const clean = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export class LineChart {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly note: HTMLElement;
  private plot: uPlot | undefined;
  private shape = '';

  constructor(
    parent: HTMLElement,
    private readonly o: ChartOptions,
  ) {
    this.note = h('p', { class: 'empty' }, o.empty ?? 'waiting for the first round…');
    this.body = h('div', { class: 'plot' });
    this.el = h('figure', { class: 'chart', 'data-points': '0', 'data-rounds': '0' }, h('figcaption', {}, o.title), this.note, this.body);
    parent.append(this.el);
    new ResizeObserver(() => this.resize()).observe(this.body);
  }

  update(x: readonly number[], lines: readonly Line[]): void {
    const data: uPlot.AlignedData = [Float64Array.from(x), ...lines.map((l) => l.values.map(clean))] as unknown as uPlot.AlignedData;
    const first = lines[0]?.values ?? [];
    this.el.dataset['points'] = String(first.filter((v) => clean(v) !== null).length);
    this.el.dataset['rounds'] = String(x.length);
    const empty = x.length === 0 || lines.length === 0;
    this.note.hidden = !empty;
    this.body.hidden = empty;
    if (empty) return;
    const shape = lines.map((l) => `${l.label}|${l.color}|${l.right ? 1 : 0}`).join(';');
    this.last = x.length - 1;
    if (this.plot && shape === this.shape) this.plot.setData(data);
    else {
      this.plot?.destroy();
      this.shape = shape;
      this.plot = new uPlot(this.options(lines), data, this.body);
    }
    // The legend shows the latest round's values while the cursor is elsewhere.
    if (this.plot.cursor.idx == null) this.plot.setLegend({ idx: this.last });
  }

  private last = -1;

  private size(): { width: number; height: number } {
    return { width: Math.max(240, this.body.clientWidth || this.el.clientWidth - 24), height: this.o.height ?? 230 };
  }

  private resize(): void {
    if (this.plot && !this.body.hidden) this.plot.setSize(this.size());
  }

  private options(lines: readonly Line[]): uPlot.Options {
    const o = this.o;
    const yFmt = o.percent ? (v: number) => `${Math.round(100 * v)}%` : (o.yFormat ?? tick);
    const valueFmt = o.percent ? (v: number) => `${(100 * v).toFixed(1)} %` : (o.yFormat ?? ((v: number) => `${+v.toPrecision(4)}`));
    const y2Fmt = o.y2Format ?? tick;
    const hasRight = lines.some((l) => l.right);
    const axes: uPlot.Axis[] = [
      { label: o.xLabel ?? 'round', labelSize: 18, size: 34, stroke: '#475569', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#cbd5e1' }, incrs: ROUND_STEPS },
      { label: o.yLabel ?? '', labelSize: 18, size: axisSize, stroke: '#475569', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#cbd5e1' }, values: (_u, splits) => splits.map(yFmt) },
    ];
    if (hasRight) axes.push({ scale: 'y2', side: 1, label: o.y2Label ?? '', labelSize: 18, size: axisSize, stroke: '#475569', grid: { show: false }, values: (_u, splits) => splits.map(y2Fmt) });
    return {
      ...this.size(),
      scales: { x: { time: false }, y: o.percent ? { range: [0, 1] } : { range: (_u, min, max) => padRange(o.zero ? Math.min(0, min ?? 0) : min, max) }, ...(hasRight ? { y2: { range: (_u: uPlot, min: number, max: number) => padRange(min, max) } } : {}) },
      axes,
      cursor: { drag: { x: false, y: false }, points: { size: 7 } },
      legend: { live: true },
      hooks: {
        setCursor: [
          (u) => {
            if (u.cursor.idx == null && this.last >= 0) u.setLegend({ idx: this.last });
          },
        ],
      },
      series: [
        { label: o.xLabel ?? 'round', value: (_u, v) => (v === null ? '–' : String(v)) },
        ...lines.map(
          (l): uPlot.Series => ({
            label: l.label,
            stroke: l.color,
            width: l.width ?? 2,
            spanGaps: true,
            ...(l.dash ? { dash: [...l.dash] } : {}),
            ...(l.right ? { scale: 'y2' } : {}),
            points: { size: 5, fill: l.color },
            value: (_u, v) => (v === null || v === undefined ? '–' : l.right ? y2Fmt(v) : valueFmt(v)),
          }),
        ),
      ],
    };
  }
}

/** Ticks of the round axis: whole rounds only. */
const ROUND_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];

/** Room for the longest tick label (about 7 px a character) and the axis title. */
const axisSize = (_u: uPlot, values: string[] | null): number => 24 + 7 * Math.max(3, ...(values ?? []).map((v) => v.length));

/** An axis range with a little room, from 0 when all values are positive and near it. */
function padRange(min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null) return [0, 1];
  if (min === max) return min === 0 ? [0, 1] : [Math.min(0, min * 0.9), max * 1.1];
  const lo = min >= 0 && min < (max - min) * 0.5 ? 0 : min - (max - min) * 0.08;
  return [lo, max + (max - min) * 0.08];
}
