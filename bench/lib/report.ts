/**
 * The benchmark's report: a terminal table, docs/BENCHMARKS.md and an SVG
 * chart. Targets are ratios to floors measured in the same run, reported as
 * met or missed, never hidden.
 */
import type { CheckResult } from "../sections/session-check";
import type { CleanupResult } from "../sections/cleanup";
import type { HttpRow } from "../sections/http";
import type { PeerResult } from "../sections/peer-store";
import type { SeedResult } from "../sections/seed-scenario";
import { fmtFigure, fmtMicros, type Figure } from "./stats";

export interface ExtraSection {
  title: string;
  intro: string;
  header: string[];
  rows: string[][];
  targets?: Target[];
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
  note?: string;
  /** Why this target can be missed here and what would close it; shown only when it is. */
  whenMissed?: string;
}

export interface BenchReport {
  machine: Record<string, string>;
  smoke: boolean;
  sizes: number[];
  checks: CheckResult[];
  http: HttpRow[];
  cleanup: CleanupResult | null;
  extra: ExtraSection[];
}

const n = (v: number) => v.toLocaleString("en");
const x = (v: number) => `${v.toFixed(v >= 10 ? 0 : 2)}×`;
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

function checkTargets(checks: CheckResult[]): Target[] {
  const targets: Target[] = [];
  const bounds: Record<string, number> = { PostgreSQL: 4, PGlite: 2 };
  for (const [backend, bound] of Object.entries(bounds)) {
    const rows = checks.filter((c) => c.backend === backend);
    if (rows.length === 0) continue;
    const worst = rows.reduce((a, b) => (b.read.p50.median / b.floor.p50.median > a.read.p50.median / a.floor.p50.median ? b : a));
    const r = worst.read.p50.median / worst.floor.p50.median;
    targets.push({
      name: `requireAppSession p50 on ${backend}`,
      goal: `≤ ${bound}× a bare select 1 (${fmtMicros(worst.floor.p50.median)} here)`,
      measured: `${x(r)} (${fmtMicros(worst.read.p50.median)}, worst size ${n(worst.size)})`,
      met: r <= bound,
      whenMissed:
        backend === "PGlite"
          ? "PGlite is PostgreSQL compiled to WASM, run on the app's own thread: the prepared call of the plpgsql function " +
            "and the decoding of its jsonb row take ~1.7× a bare select there (measured alone), and PGlite's protocol handling " +
            "adds more; our JS around it (cookie HMAC, hash, row parse) is under 10 µs. Closing it takes a cheaper function body " +
            "for PGlite (a SQL-language function keeps its plan on PostgreSQL 18, which PGlite is, but is re-planned per call on " +
            "15, so it cannot simply replace the shared one). In absolute terms the check stays far below one network round trip."
          : undefined,
    });
  }
  for (const backend of new Set(checks.map((c) => c.backend))) {
    const rows = checks.filter((c) => c.backend === backend).sort((a, b) => a.size - b.size);
    if (rows.length < 2) continue;
    // Compared as multiples of the floor measured alongside, so that the
    // machine getting busier between sizes is not mistaken for the table growing.
    const rel = (c: CheckResult) => c.read.p50.median / c.floor.p50.median;
    const growth = rel(rows[rows.length - 1]) / rel(rows[0]);
    targets.push({
      name: `${backend}: cost does not grow with the table`,
      goal: `check/floor at ${n(rows[rows.length - 1].size)} ≤ 1.5× check/floor at ${n(rows[0].size)}`,
      measured: `${x(growth)} (${x(rel(rows[0]))} → ${x(rel(rows[rows.length - 1]))})`,
      met: growth <= 1.5,
    });
  }
  return targets;
}

function httpTargets(http: HttpRow[]): Target[] {
  const targets: Target[] = [];
  for (const kind of ["data", "document"] as const) {
    const session = http.find((h) => h.kind === kind && h.variant === "session");
    const plain = http.find((h) => h.kind === kind && h.variant === "no-check");
    if (!session || !plain) continue;
    const overhead = 1 - session.rps.median / plain.rps.median;
    targets.push({
      name: `session overhead, ${kind} request`,
      goal: "≤ 20 % of the no-check route's throughput",
      measured: pct(Math.max(0, overhead)),
      met: overhead <= 0.2,
      whenMissed:
        "The no-check route does almost nothing, and on two cores the app, PostgreSQL and autocannon share the CPU, so the " +
        "database's own work for the lookup counts against the app's throughput. A route's own work (the document request " +
        "renders) dilutes it. A cache in front of the lookup would close it, but would accept a revoked session until the " +
        "entry expires, which the product refuses; a database on its own host would.",
    });
  }
  return targets;
}

function cleanupTargets(c: CleanupResult | null): Target[] {
  if (!c) return [];
  return [
    {
      name: `cleanup of ${n(c.expired)} expired sessions`,
      goal: "≤ 10 s",
      measured: `${c.seconds.toFixed(2)} s`,
      met: c.seconds <= 10,
    },
    {
      name: "live requireAppSession p99 during cleanup",
      goal: "≤ 5 ms",
      measured: fmtMicros(c.liveDuring.p99),
      met: c.liveDuring.p99 <= 5000,
      whenMissed:
        "Compare the p99 before cleanup (below): four live loops on two cores already sit near the goal, and the cleanup's " +
        "database process takes one core while it runs. Smaller batches or a pause between them trade total time (well inside " +
        "its 10 s) for tail latency; a database on its own host closes it.",
    },
  ];
}

function svgChart(checks: CheckResult[]): string {
  // Hand-written: a grouped bar chart on a log scale is a few lines of SVG;
  // a charting library would be the heaviest dependency of the repository.
  const groups = checks.map((c) => ({ label: `${c.backend} · ${n(c.size)}`, floor: c.floor.p50.median, check: c.read.p50.median }));
  const width = 860;
  const rowH = 34;
  const left = 210;
  const top = 40;
  const height = top + groups.length * rowH + 50;
  const max = Math.max(...groups.flatMap((g) => [g.floor, g.check]), 10);
  const min = 1;
  const scale = (v: number) => ((Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max * 1.5) - Math.log10(min))) * (width - left - 30);
  const ticks = [1, 10, 100, 1000, 10_000, 100_000].filter((t) => t <= max * 1.5);
  const bars = groups
    .map((g, i) => {
      const y = top + i * rowH;
      return [
        `<text x="${left - 8}" y="${y + 17}" text-anchor="end" font-size="12">${g.label}</text>`,
        `<rect x="${left}" y="${y + 3}" width="${scale(g.floor).toFixed(1)}" height="12" fill="#9ca3af"><title>floor ${fmtMicros(g.floor)}</title></rect>`,
        `<rect x="${left}" y="${y + 16}" width="${scale(g.check).toFixed(1)}" height="12" fill="#2563eb"><title>requireAppSession ${fmtMicros(g.check)}</title></rect>`,
        `<text x="${left + scale(g.check) + 4}" y="${y + 26}" font-size="10">${fmtMicros(g.check)}</text>`,
      ].join("");
    })
    .join("\n");
  const axis = ticks
    .map((t) => `<line x1="${left + scale(t)}" y1="${top - 4}" x2="${left + scale(t)}" y2="${height - 40}" stroke="#e5e7eb"/><text x="${left + scale(t)}" y="${height - 26}" font-size="10" text-anchor="middle">${fmtMicros(t)}</text>`)
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="22" font-size="14" font-weight="600">requireAppSession p50 (blue) vs. the bare round-trip floor (grey), log scale</text>
${axis}
${bars}
</svg>
`;
}

const ms = (v: number) => `${v.toFixed(v >= 100 ? 0 : 1)} ms`;

export function seedSection(results: SeedResult[]): ExtraSection {
  const before = results.find((r) => r.variant === "re-verify every request");
  const after = results.find((r) => r.variant === "app session");
  const targets: Target[] = [];
  if (before && after) {
    targets.push(
      {
        name: "seed scenario: platform calls after the entry",
        goal: "0 (every click served from the app session)",
        measured: String(after.platformCalls),
        met: after.platformCalls === 0,
      },
      {
        name: "seed scenario: 3 clicks, app session vs re-verify",
        goal: "far below the seed's 10–30 ms per request",
        measured: `${ms(after.totalMs.median / after.requests)} per request; ${x(before.totalMs.median / after.totalMs.median)} faster than re-verifying (${ms(before.totalMs.median)} → ${ms(after.totalMs.median)})`,
        met: after.totalMs.median / after.requests <= 10,
      },
    );
  }
  return {
    title: "Seed 003's scenario: three clicks",
    intro:
      "Settings, Save, Dashboard, as the Remix client sends them (5 requests: a data request per page; the action and the " +
      "revalidation of the page's loaders after Save). *Before*: every request re-verifies the merchant with Commerce7 " +
      "(benchmark routes calling the same `verifyAccount` as the entry), the sandbox answering after its realistic 300 ms. " +
      "*After*: the app session. The seed's own estimate was ~1,050 ms before and ~110 ms after.",
    header: ["", "3 clicks in all", "Settings", "Save", "Dashboard", "requests", "Commerce7 calls"],
    rows: results.map((r) => [
      r.variant,
      fmtFigure(r.totalMs, ms),
      ...r.perClickMs.map((f) => fmtFigure(f, ms)),
      String(r.requests),
      String(r.platformCalls),
    ]),
    targets,
  };
}

export function peerSection(results: PeerResult[]): ExtraSection {
  const [ours, peer] = results;
  const targets: Target[] =
    ours && peer
      ? [
          {
            name: "platform-session load vs Shopify's PostgreSQL adapter",
            goal: "no slower (p50)",
            measured: `${x(ours.p50.median / peer.p50.median)} the peer's time (${fmtMicros(ours.p50.median)} vs ${fmtMicros(peer.p50.median)})`,
            met: ours.p50.median <= peer.p50.median,
            note: "ours also decrypts the token (AES-256-GCM); the peer stores it in clear",
            whenMissed:
              ours.p50.min <= peer.p50.max && peer.p50.min <= ours.p50.max
                ? "the two medians are within each other's spread: a tie, our decryption included"
                : "our load is one SQL function plus AES-256-GCM; a plain row read in clear would close it, at the cost of storing tokens in clear",
          },
        ]
      : [];
  return {
    title: "Platform sessions: our store vs the peer",
    intro:
      "`loadSession` of a shop's offline session on the same PostgreSQL: ours (`PlatformSessionStorage`: one SQL function, " +
      "tokens decrypted with AES-256-GCM) and `@shopify/shopify-app-session-storage-postgresql` 6 (the version for " +
      "shopify-api 13; plain rows, tokens in clear).",
    header: ["store", "p50", "p99"],
    rows: results.map((r) => [r.store, fmtFigure(r.p50), fmtFigure(r.p99)]),
    targets,
  };
}

export function renderReport(report: BenchReport): { markdown: string; svg: string; table: string } {
  const targets = [
    ...checkTargets(report.checks),
    ...httpTargets(report.http),
    ...cleanupTargets(report.cleanup),
    ...report.extra.flatMap((e) => e.targets ?? []),
  ];

  const checkRows = report.checks.map((c) => [
    c.backend,
    n(c.size),
    fmtFigure(c.floor.p50),
    fmtFigure(c.read.p50),
    fmtFigure(c.read.p99),
    x(c.read.p50.median / c.floor.p50.median),
    c.touch ? fmtFigure(c.touch.p50) : "",
  ]);
  const checkHeader = ["backend", "live sessions", "floor p50", "check p50", "check p99", "check / floor", "check that writes p50"];

  const httpRows = report.http.map((h) => {
    const plain = report.http.find((p) => p.kind === h.kind && p.variant === "no-check");
    return [
      h.kind,
      { session: "app session (database)", "cookie-session": "cookie session (stateless)", "no-check": "no session check" }[h.variant],
      fmtFigure(h.rps, (v) => v.toFixed(0)),
      fmtFigure(h.p50ms, (v) => `${v} ms`),
      fmtFigure(h.p99ms, (v) => `${v} ms`),
      plain ? x(plain.rps.median / h.rps.median) : "",
    ];
  });
  const httpHeader = ["request", "route", "req/s", "latency p50", "latency p99", "cost vs no check"];

  const c = report.cleanup;
  const cleanupRows = c
    ? [[n(c.expired), n(c.removed), `${c.seconds.toFixed(2)} s`, String(c.batches), fmtMicros(c.liveBaseline.p50), fmtMicros(c.liveBaseline.p99), fmtMicros(c.liveDuring.p50), fmtMicros(c.liveDuring.p99)]]
    : [];
  const cleanupHeader = ["expired rows", "removed", "time", "batches", "live p50 before", "live p99 before", "live p50 during", "live p99 during"];

  const targetRows = targets.map((t) => [t.met ? "✅ met" : "❌ missed", t.name, t.goal, t.measured, [t.note, t.met ? undefined : t.whenMissed].filter(Boolean).join(". ")]);
  const m = report.machine;

  const markdown = `# Benchmarks

${report.smoke ? "> **Smoke run** (tiny sizes, for the test suite): these numbers are not measurements.\n\n" : ""}Produced by \`${m.command}\` on ${m.date} (commit ${m.commit}).

| machine | |
|---|---|
| CPU | ${m.cpu} |
| memory | ${m.memory} |
| OS | ${m.os} |
| Node | ${m.node} |
| PostgreSQL | ${m.postgres} |
| load average at start | ${m.load} |

Every figure is the **median of repetitions, with the smallest and largest in
brackets**; every comparison is a ratio of figures from this same run. The
floor is a bare round trip on the same backend (\`select 1\`; over PostgREST,
the \`ping()\` function).

## Targets

${table(["", "target", "goal", "measured", "note"], targetRows)}

## requireAppSession vs. the floor

In process, on a real \`Request\` with a signed cookie, as a loader calls it
(cookie parse, signature check, one \`validate_app_session\` call). "Check
that writes": the touch interval has passed, so the call also records
activity (a committed UPDATE, at most once a minute per session).

${table(checkHeader, checkRows)}

![requireAppSession vs floor](benchmarks.svg)

## Over HTTP: the session's cost on a real route

autocannon on loopback, the dashboard of \`/app\` as a Remix data request and
as a full server-rendered document. The comparison routes (built only for the
benchmark, \`BENCH_ROUTES=1\`) render the same components with the same data:
one with no session check, one with Remix \`createCookieSessionStorage\` (the
stateless bound: no lookup, and no way to revoke).

${table(httpHeader, httpRows)}

## Cleanup under live traffic

\`cleanupExpiredSessions\` (batches of 1,000 rows, the default \`SESSION_CLEANUP_BATCH_SIZE\`, each its own transaction) on
PostgreSQL, while four concurrent loops keep calling requireAppSession on
live sessions.

${table(cleanupHeader, cleanupRows)}
${report.extra
  .map((e) => `\n## ${e.title}\n\n${e.intro}\n\n${table(e.header, e.rows)}\n`)
  .join("")}`;

  const termRows = [
    ...report.checks.map((c) => `${c.backend.padEnd(17)} ${n(c.size).padStart(10)}  floor ${fmtMicros(c.floor.p50.median).padStart(8)}  check p50 ${fmtMicros(c.read.p50.median).padStart(8)}  p99 ${fmtMicros(c.read.p99.median).padStart(8)}`),
    ...report.http.map((h) => `HTTP ${h.kind.padEnd(9)} ${h.variant.padEnd(15)} ${h.rps.median.toFixed(0).padStart(6)} req/s  p50 ${h.p50ms.median} ms`),
    ...(c ? [`cleanup ${n(c.expired)} expired: ${c.seconds.toFixed(2)} s, live p99 ${fmtMicros(c.liveDuring.p99)}`] : []),
    ...report.extra.flatMap((e) => e.rows.map((r) => `${e.title}: ${r.join("  ")}`)),
    "",
    ...targets.map((t) => `${t.met ? "MET   " : "MISSED"} ${t.name}: ${t.measured} (goal ${t.goal})`),
  ];
  return { markdown, svg: svgChart(report.checks), table: termRows.join("\n") };
}

export type { Figure };
