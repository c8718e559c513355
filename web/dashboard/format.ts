/** Numbers as the dashboard shows them. */

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

export const pct = (v: number | null | undefined, digits = 1): string => (finite(v) ? `${(100 * v).toFixed(digits)} %` : '–');

export const num = (v: number | null | undefined, digits = 3): string => (finite(v) ? Number(v.toPrecision(digits)).toString() : '–');

export function bytes(b: number | null | undefined): string {
  if (!finite(b)) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = b;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toPrecision(3)} ${units[i]}`;
}

export function bits(b: number | null | undefined): string {
  if (!finite(b)) return '–';
  const units = ['bit', 'kbit', 'Mbit', 'Gbit'];
  let i = 0;
  let v = b;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toPrecision(3)} ${units[i]}`;
}

export function seconds(s: number | null | undefined): string {
  if (!finite(s)) return '–';
  if (s < 1) return `${(1000 * s).toFixed(0)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - 60 * m)} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${m % 60} min`;
  return `${(hours / 24).toFixed(1)} d`;
}

/** A compact axis tick. */
export function tick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

export function ago(iso: string, now = Date.now()): string {
  const s = (now - Date.parse(iso)) / 1000;
  if (!Number.isFinite(s)) return '–';
  if (s < 5) return 'just now';
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toISOString().slice(0, 10);
}
