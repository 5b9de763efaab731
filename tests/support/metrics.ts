/** Read one series from Prometheus text: sample(text, 'app_sessions_active{platform="shopify"}') -> 2, or null. */
export function sample(text: string, series: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}
