/**
 * Small statistics for the benchmark: percentiles of one sample, and the
 * median of several repetitions with their spread.
 */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export interface Distribution {
  p50: number;
  p99: number;
  mean: number;
  n: number;
}

export function distribution(samples: number[]): Distribution {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
    n: sorted.length,
  };
}

/** A figure: the median of repetitions, with the smallest and largest seen. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  reps: number;
}

export function figure(values: number[]): Figure {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), min: sorted[0], max: sorted[sorted.length - 1], reps: sorted.length };
}

/** Time `fn` `count` times back to back; microseconds per call. */
export async function sampleMicros(count: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await fn(i);
    out[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  return out;
}

/**
 * Repeat a measurement and reduce each repetition to p50 and p99: the
 * result is the median of those, with their spread.
 */
export async function repeatLatency(
  reps: number,
  count: number,
  fn: (i: number) => Promise<unknown>,
  warmup = Math.min(200, count),
): Promise<{ p50: Figure; p99: Figure }> {
  await sampleMicros(warmup, fn);
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let r = 0; r < reps; r++) {
    const d = distribution(await sampleMicros(count, fn));
    p50s.push(d.p50);
    p99s.push(d.p99);
  }
  return { p50: figure(p50s), p99: figure(p99s) };
}

export function fmtMicros(us: number): string {
  if (!Number.isFinite(us)) return "—";
  if (us >= 1_000_000) return `${(us / 1_000_000).toFixed(2)} s`;
  if (us >= 1000) return `${(us / 1000).toFixed(us >= 10_000 ? 0 : 2)} ms`;
  return `${us.toFixed(us >= 100 ? 0 : 1)} µs`;
}

export function fmtFigure(f: Figure, unit: (v: number) => string = fmtMicros): string {
  return `${unit(f.median)} (${unit(f.min)}–${unit(f.max)})`;
}

export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×`;
}

/**
 * Two measurements taken in alternation (a, b, a, b, ...), so whatever else
 * the machine is doing weighs on both alike: the ratio of the two is the
 * figure that matters, and interleaving keeps it honest on a busy machine.
 */
export async function repeatPaired(
  reps: number,
  count: number,
  a: (i: number) => Promise<unknown>,
  b: (i: number) => Promise<unknown>,
  warmup = Math.min(200, count),
): Promise<{ a: { p50: Figure; p99: Figure }; b: { p50: Figure; p99: Figure } }> {
  for (let i = 0; i < warmup; i++) {
    await a(i);
    await b(i);
  }
  const out = { a: { p50: [] as number[], p99: [] as number[] }, b: { p50: [] as number[], p99: [] as number[] } };
  for (let r = 0; r < reps; r++) {
    const sa: number[] = [];
    const sb: number[] = [];
    for (let i = 0; i < count; i++) {
      let start = process.hrtime.bigint();
      await a(i);
      sa.push(Number(process.hrtime.bigint() - start) / 1000);
      start = process.hrtime.bigint();
      await b(i);
      sb.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    const da = distribution(sa);
    const db = distribution(sb);
    out.a.p50.push(da.p50);
    out.a.p99.push(da.p99);
    out.b.p50.push(db.p50);
    out.b.p99.push(db.p99);
  }
  return {
    a: { p50: figure(out.a.p50), p99: figure(out.a.p99) },
    b: { p50: figure(out.b.p50), p99: figure(out.b.p99) },
  };
}

/**
 * Any number of measurements taken in turn (a, b, c, a, b, c, ...), each
 * repetition reduced to p50 and p99 per measurement: repeatPaired for more
 * than two (floor, wrapper, check, peer side by side in one loop).
 */
export async function repeatInterleaved(
  reps: number,
  count: number,
  fns: Array<(i: number) => Promise<unknown>>,
  warmup = Math.min(200, count),
): Promise<Array<{ p50: Figure; p99: Figure }>> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn(i);
  const p50s = fns.map(() => [] as number[]);
  const p99s = fns.map(() => [] as number[]);
  for (let r = 0; r < reps; r++) {
    const samples = fns.map(() => new Array<number>(count));
    for (let i = 0; i < count; i++) {
      for (let f = 0; f < fns.length; f++) {
        const start = process.hrtime.bigint();
        await fns[f](i);
        samples[f][i] = Number(process.hrtime.bigint() - start) / 1000;
      }
    }
    samples.forEach((s, f) => {
      const d = distribution(s);
      p50s[f].push(d.p50);
      p99s[f].push(d.p99);
    });
  }
  return fns.map((_, f) => ({ p50: figure(p50s[f]), p99: figure(p99s[f]) }));
}

/** Process CPU (user + system) per call of `fn`, in microseconds, over `count` calls. */
export async function cpuMicrosPerCall(count: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) await fn(i);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}
