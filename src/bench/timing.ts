/** Small timing helpers for benchmarks: warm up, then the median of repeats. */

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Median wall time in ms of `fn` over `repeats` runs after `warmup` runs. */
export function medianMs(fn: () => void, repeats: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = nowMs();
    fn();
    times.push(nowMs() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export const fmt = (x: number, digits = 3): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(digits));

/** Prints rows as an aligned text table. */
export function printTable(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  for (const [i, r] of cells.entries()) {
    console.log(r.map((v, c) => v.padStart(widths[c]!)).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
