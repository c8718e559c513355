import type { ChartSpec } from '../report/charts.js';
import { paperRules } from '../report/claims.js';
import { meanCi } from '../report/stats.js';

/**
 * The paper reports' plots with error bars: a curve per setting (mean over
 * seeds, shaded 95 % t-interval) and horizontal bars of a final value (mean,
 * interval as a whisker), both with the paper's numbers drawn as dashed rules.
 * Bars are never stacked, so two rows can never add up past 100 %.
 */

export interface CiRow {
  readonly setting: string;
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

/** Mean and interval of each setting's values (a setting with one value gets lo = hi = mean). */
export function ciRows(groups: readonly { setting: string; values: readonly number[] }[]): CiRow[] {
  const out: CiRow[] = [];
  for (const g of groups) {
    const ci = meanCi(g.values);
    if (ci) out.push({ setting: g.setting, mean: ci.mean, lo: ci.lo ?? ci.mean, hi: ci.hi ?? ci.mean, n: ci.n });
  }
  return out;
}

export interface PaperMark {
  readonly value: number;
  readonly label: string;
}


/**
 * Curves of `y` against `x` per setting: the mean over seeds at each x with
 * its 95 % band. `points` holds one row per setting, x and seed.
 */
export function ciCurveChart(o: {
  title: string;
  subtitle?: string;
  points: readonly { setting: string; x: number; y: number; facet?: string }[];
  /** Title of the facet column (points with a `facet` get one panel each); the paper's rules are not drawn then. */
  facetTitle?: string;
  xTitle: string;
  yTitle: string;
  percent?: boolean;
  paper?: readonly PaperMark[];
}): ChartSpec {
  const cells = new Map<string, { setting: string; x: number; facet: string; ys: number[] }>();
  for (const p of o.points) {
    const k = `${p.setting}\u0000${p.x}\u0000${p.facet ?? ''}`;
    let c = cells.get(k);
    if (!c) cells.set(k, (c = { setting: p.setting, x: p.x, facet: p.facet ?? '', ys: [] }));
    c.ys.push(p.y);
  }
  const rows = [...cells.values()].map((c) => {
    const ci = meanCi(c.ys)!;
    return { setting: c.setting, x: c.x, facet: c.facet, mean: ci.mean, lo: ci.lo ?? ci.mean, hi: ci.hi ?? ci.mean, n: ci.n };
  });
  const settings = [...new Set(rows.map((r) => r.setting))];
  const integerX = o.points.every((p) => Number.isInteger(p.x));
  const y = { type: 'quantitative', title: o.yTitle, ...(o.percent ? { axis: { format: '.0%' }, scale: { domain: [0, 1] } } : { scale: { zero: false } }) };
  const color = { field: 'setting', type: 'nominal', title: null, sort: settings, scale: { scheme: settings.length > 10 ? 'tableau20' : 'tableau10' }, legend: { orient: 'bottom', columns: 1, labelLimit: 0, symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolOpacity: 1 } };
  const xEnc = { field: 'x', type: 'quantitative', title: o.xTitle, ...(integerX && { axis: { format: 'd', tickMinStep: 1 } }) };
  const subtitle = o.subtitle ?? 'mean over seeds; band: 95 % t-interval; dashed: the paper';
  if (o.facetTitle !== undefined) {
    const x = { field: 'x', type: 'quantitative', title: o.xTitle, ...(integerX && { axis: { format: 'd', tickMinStep: 1 } }) };
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: o.title, subtitle },
      data: { values: rows },
      facet: { column: { field: 'facet', type: 'nominal', title: o.facetTitle, sort: null } },
      spec: {
        width: 200,
        height: 200,
        layer: [
          { mark: { type: 'area', opacity: 0.18 }, encoding: { x, y: { field: 'lo', ...y }, y2: { field: 'hi' }, color } },
          { mark: { type: 'line', point: { size: 20 } }, encoding: { x, y: { field: 'mean', ...y }, color } },
        ],
      },
    } as ChartSpec;
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: o.title, subtitle },
    width: 480,
    height: 240,
    layer: [
      { data: { values: rows }, mark: { type: 'area', opacity: 0.18 }, encoding: { x: xEnc, y: { field: 'lo', ...y }, y2: { field: 'hi' }, color } },
      { data: { values: rows }, mark: { type: 'line', point: { size: 20 } }, encoding: { x: xEnc, y: { field: 'mean', ...y }, color } },
      ...paperRules(o.paper ?? [], 'y'),
    ],
  } as ChartSpec;
}

/** Horizontal bars of each setting's mean with its 95 % interval as a whisker. */
export function ciBarChart(o: { title: string; subtitle?: string; rows: readonly CiRow[]; xTitle: string; percent?: boolean; paper?: readonly PaperMark[] }): ChartSpec {
  const lo = Math.min(0, ...o.rows.map((r) => r.lo));
  const hi = Math.max(o.percent ? 1 : 0, ...o.rows.map((r) => r.hi), ...(o.paper ?? []).map((p) => p.value));
  const x = { type: 'quantitative', title: o.xTitle, scale: { domain: [lo, hi], nice: false }, ...(o.percent ? { axis: { format: '.0%' } } : {}) };
  const yEnc = { field: 'setting', type: 'nominal', title: null, sort: null, axis: { labelLimit: 360 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: o.title, subtitle: o.subtitle ?? 'bar: mean over seeds; whisker: 95 % t-interval; dashed: the paper' },
    width: 420,
    height: Math.max(80, 24 * o.rows.length),
    layer: [
      { data: { values: o.rows }, mark: { type: 'bar', color: '#4c78a8', opacity: 0.8 }, encoding: { y: yEnc, x: { field: 'mean', ...x, stack: null }, tooltip: [{ field: 'setting' }, { field: 'mean', format: '.4f' }, { field: 'lo', format: '.4f' }, { field: 'hi', format: '.4f' }, { field: 'n' }] } },
      { data: { values: o.rows }, mark: { type: 'rule', color: 'black', strokeWidth: 1.5 }, encoding: { y: yEnc, x: { field: 'lo', ...x }, x2: { field: 'hi' } } },
      ...paperRules(o.paper ?? [], 'x'),
    ],
  } as ChartSpec;
}
