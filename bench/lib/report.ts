/**
 * The benchmark's report: a terminal table, docs/BENCHMARKS.md and an SVG
 * chart. Targets are ratios to floors measured in the same run, reported as
 * met or missed, never hidden.
 */
import type { CheckResult, HugeResult } from "../sections/session-check";
import type { CleanupResult } from "../sections/cleanup";
import type { HttpRow, MemoryResult } from "../sections/http";
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
  huge: HugeResult | null;
  http: HttpRow[];
  memory: MemoryResult | null;
  /** better-auth's version, when it ran. */
  peerVersion: string | null;
  cleanup: CleanupResult | null;
  extra: ExtraSection[];
}

const n = (v: number) => v.toLocaleString("en");
const x = (v: number) => `${v.toFixed(v >= 10 ? 0 : 2)}×`;
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

const rel = (c: CheckResult) => c.read.p50.median / c.floor.p50.median;

function checkTargets(checks: CheckResult[], huge: HugeResult | null): Target[] {
  const targets: Target[] = [];
  for (const backend of ["PGlite", "PostgreSQL"]) {
    const rows = checks.filter((c) => c.backend === backend);
    if (rows.length === 0) continue;
    const worst = rows.reduce((a, b) => (rel(b) > rel(a) ? b : a));
    const r = rel(worst);
    targets.push({
      name: `requireAppSession p50 on ${backend}, every size`,
      goal: `≤ 2× the bare driver's round trip (${fmtMicros(worst.floor.p50.median)} here)`,
      measured: `${x(r)} (${fmtMicros(worst.read.p50.median)}, worst size ${n(worst.size)})`,
      met: r <= 2,
      whenMissed:
        `the check is the floor's round trip plus ~${fmtMicros(worst.cpuMicros)} of Node CPU per check (cookie HMAC, SHA-256, ` +
        "driver decode of one row" +
        (backend === "PGlite" ? ", and PGlite's own execution, which runs on the app's thread" : "") +
        "); on a loaded machine CPU time stretches more than a round trip's waiting does. Rerun on a quiet machine; " +
        "what would close the rest is fewer columns on the hot path (the session row is 23 columns, the dashboard needs a few)",
    });
  }
  for (const backend of new Set(checks.map((c) => c.backend))) {
    const rows = checks.filter((c) => c.backend === backend).sort((a, b) => a.size - b.size);
    if (rows.length < 2) continue;
    // Compared as multiples of the floor measured alongside, so that the
    // machine getting busier between sizes is not mistaken for the table growing.
    const growth = rel(rows[rows.length - 1]) / rel(rows[0]);
    targets.push({
      name: `${backend}: cost does not grow with the table`,
      goal: `check/floor at ${n(rows[rows.length - 1].size)} ≤ 1.5× check/floor at ${n(rows[0].size)}`,
      measured: `${x(growth)} (${x(rel(rows[0]))} → ${x(rel(rows[rows.length - 1]))})`,
      met: growth <= 1.5,
    });
  }
  if (huge) {
    const r = huge.result;
    targets.push({
      name: `requireAppSession p50 on PostgreSQL at ${n(huge.size)} live sessions`,
      goal: "≤ 2× the bare driver's round trip",
      measured: r ? `${x(rel(r))} (${fmtMicros(r.read.p50.median)}; p99 ${fmtMicros(r.read.p99.median)})` : "not measured",
      met: r !== null && rel(r) <= 2,
      note: huge.note,
      whenMissed: r
        ? "see the PostgreSQL row above: the same lookup, one more level of the B-tree"
        : "run `npm run bench` where the disk and BENCH_HUGE_SECONDS allow it",
    });
  }
  for (const c of checks.filter((c) => c.peer)) {
    const peer = c.peer as NonNullable<CheckResult["peer"]>;
    const r = c.read.p50.median / peer.p50.median;
    targets.push({
      name: `requireAppSession vs better-auth getSession, ${n(c.size)} sessions`,
      goal: "≤ 0.5× better-auth's time (p50)",
      measured: `${x(r)} (${fmtMicros(c.read.p50.median)} vs ${fmtMicros(peer.p50.median)}; p99 ${fmtMicros(c.read.p99.median)} vs ${fmtMicros(peer.p99.median)})`,
      met: r <= 0.5,
      whenMissed: "both are one indexed read on the same PostgreSQL; the difference is the JS around it",
    });
  }
  return targets;
}

function httpTargets(http: HttpRow[], memory: MemoryResult | null): Target[] {
  const targets: Target[] = [];
  for (const kind of ["data", "document"] as const) {
    const session = http.find((h) => h.kind === kind && h.variant === "session");
    const plain = http.find((h) => h.kind === kind && h.variant === "no-check");
    const peer = http.find((h) => h.kind === kind && h.variant === "better-auth");
    const roundTrip = http.find((h) => h.kind === kind && h.variant === "round-trip");
    if (!session || !plain) continue;
    const overhead = 1 - session.rps.median / plain.rps.median;
    targets.push({
      name: `session overhead, ${kind} request, throughput`,
      goal: "≤ 20 % of the no-check route's throughput",
      measured: pct(Math.max(0, overhead)),
      met: overhead <= 0.2,
      whenMissed:
        "on two cores the app, PostgreSQL and autocannon share the CPU, so the database's work for the lookup counts against " +
        "the app's throughput; see the CPU-per-request row, which does not depend on that sharing. A database on its own host " +
        "closes this; a cache in front of the lookup would too, but would accept a revoked session, which the product refuses",
    });
    const cpuOverhead = session.cpuTotal.median / plain.cpuTotal.median - 1;
    targets.push({
      name: `session overhead, ${kind} request, CPU per request (app + PostgreSQL)`,
      goal: "≤ 20 % over the no-check route",
      measured: `${pct(Math.max(0, cpuOverhead))} (${fmtMicros(session.cpuTotal.median)} vs ${fmtMicros(plain.cpuTotal.median)})`,
      met: cpuOverhead <= 0.2,
      whenMissed:
        (roundTrip
          ? `a route making one bare \`select 1\` and no check costs ${pct(Math.max(0, roundTrip.cpuTotal.median / plain.cpuTotal.median - 1))} ` +
            "over the no-check route by the same measure: that much is the price of asking the database at all. "
          : "") +
        "The no-check route does no I/O, so one round trip (the driver's send/receive in the app, the backend's work in " +
        "PostgreSQL) is a large share of it; a real route's own queries dilute it. Only not asking the database would close " +
        "it, and that gives up the immediate revocation the product requires",
    });
    if (peer) {
      const ours = session.cpuTotal.median - plain.cpuTotal.median;
      const theirs = peer.cpuTotal.median - plain.cpuTotal.median;
      targets.push({
        name: `session cost on a route vs better-auth, ${kind} request (CPU per request over no check)`,
        goal: "≤ 0.5× better-auth's",
        measured: `${x(Math.max(0, ours) / Math.max(1, theirs))} (${fmtMicros(ours)} vs ${fmtMicros(theirs)})`,
        met: ours <= theirs * 0.5,
        whenMissed: "see the in-process comparison; over HTTP the route's own work is the same for both",
      });
    }
  }
  if (memory) {
    const secondHalf = memory.sessions - Math.floor(memory.sessions / 2);
    const perSession = (memory.rssAfter - memory.rssMiddle) / secondHalf;
    targets.push({
      name: `memory after ${n(memory.sessions)} distinct sessions each made a request`,
      goal: "nothing kept per session: RSS growth over the second half ≤ 512 B per session",
      measured: `${mib(memory.rssBefore)} → ${mib(memory.rssMiddle)} → ${mib(memory.rssAfter)} (${perSession.toFixed(0)} B per session over the second half)`,
      met: perSession <= 512,
      whenMissed:
        "RSS also moves with V8's heap sizing and garbage collection timing, and each request's context is released by a " +
        "60 s timer; a per-session structure would grow both halves alike. Rerun with more sessions to tell them apart",
    });
  }
  return targets;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function cleanupTargets(c: CleanupResult | null): Target[] {
  if (!c) return [];
  return [
    {
      name: `cleanup of ${n(c.expired)} expired sessions`,
      goal: "≤ 10 s",
      measured: `${c.seconds.toFixed(2)} s`,
      met: c.seconds <= 10,
      whenMissed:
        "each batch of 1,000 rows is its own committed transaction, so the time is mostly commits and index upkeep competing " +
        "for two cores and one disk with everything else the machine runs (see the load average); a quiet machine (4.8 s on the " +
        "last quiet run) or a larger SESSION_CLEANUP_BATCH_SIZE closes it",
    },
    {
      name: "live requireAppSession p99 during cleanup",
      goal: "≤ 5 ms",
      measured: fmtMicros(c.liveDuring.p99),
      met: c.liveDuring.p99 <= 5000,
      whenMissed:
        "Compare the p99 before cleanup (below): four live loops on two cores already sit near the goal, and the cleanup's " +
        "database process takes one core while it runs. Smaller batches or a pause between them trade total time for tail " +
        "latency; a database on its own host closes it.",
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

const FLOOR_LABELS: Record<string, string> = {
  PGlite: "PGlite's own `query('select 1')` on the same instance",
  PostgreSQL: "the `postgres` driver's tagged `select 1`, pool settings as the app's (max 10, prepared statements)",
  "Supabase adapter": "supabase-js `rpc('ping')` (the cheapest RPC) through the same PostgREST",
};

const VARIANT_LABELS: Record<HttpRow["variant"], string> = {
  session: "app session (database)",
  "better-auth": "better-auth (database session, cookie cache off)",
  "cookie-session": "cookie session (stateless)",
  "round-trip": "no session check, one bare `select 1`",
  "no-check": "no session check",
};

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
    ...checkTargets(report.checks, report.huge),
    ...httpTargets(report.http, report.memory),
    ...cleanupTargets(report.cleanup),
    ...report.extra.flatMap((e) => e.targets ?? []),
  ];

  const allChecks = [...report.checks, ...(report.huge?.result ? [report.huge.result] : [])];
  const checkRows = allChecks.map((c) => [
    c.backend,
    n(c.size),
    fmtFigure(c.floor.p50),
    fmtFigure(c.wrapperPing.p50),
    fmtFigure(c.read.p50),
    fmtFigure(c.read.p99),
    x(c.read.p50.median / c.floor.p50.median),
    `${fmtMicros(c.cpuMicros)} (floor ${fmtMicros(c.floorCpuMicros)})`,
    c.touch ? fmtFigure(c.touch.p50) : "",
  ]);
  const checkHeader = [
    "backend",
    "live sessions",
    "bare floor p50",
    "our wrapper's ping() p50",
    "check p50",
    "check p99",
    "check / bare floor",
    "Node CPU per check (per floor call)",
    "check that writes p50",
  ];
  const peerRows = report.checks
    .filter((c) => c.peer)
    .map((c) => {
      const peer = c.peer as NonNullable<CheckResult["peer"]>;
      return [n(c.size), fmtFigure(c.floor.p50), fmtFigure(c.read.p50), fmtFigure(c.read.p99), fmtFigure(peer.p50), fmtFigure(peer.p99), x(c.read.p50.median / peer.p50.median)];
    });
  const peerHeader = ["live sessions (each)", "bare floor p50", "requireAppSession p50", "requireAppSession p99", "better-auth getSession p50", "better-auth getSession p99", "ours / theirs (p50)"];
  const floors = [...new Set(report.checks.map((c) => `${c.backend}: ${FLOOR_LABELS[c.backend] ?? "select 1"}`))].join("; ");

  const httpRows = report.http.map((h) => {
    const plain = report.http.find((p) => p.kind === h.kind && p.variant === "no-check");
    return [
      h.kind,
      VARIANT_LABELS[h.variant],
      fmtFigure(h.rps, (v) => v.toFixed(0)),
      fmtFigure(h.p50ms, (v) => `${v} ms`),
      fmtFigure(h.p99ms, (v) => `${v} ms`),
      plain ? x(plain.rps.median / h.rps.median) : "",
      fmtMicros(h.cpuApp.median),
      fmtMicros(h.cpuDatabase.median),
      fmtFigure(h.cpuTotal),
      plain ? x(h.cpuTotal.median / plain.cpuTotal.median) : "",
    ];
  });
  const httpHeader = ["request", "route", "req/s", "latency p50", "latency p99", "time vs no check", "app CPU / req", "PostgreSQL CPU / req", "CPU / req", "CPU vs no check"];
  const memory = report.memory;

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
load average above is the machine's own: it was shared with other work, so
absolute times are inflated, and the ratios (each taken in one interleaved
loop) are what to read. Rerun on a quiet machine before quoting absolute
figures.

The floor is the **bare driver's round trip**, outside our code, taken in the
same loop as the check (a, b, c, a, b, c, ...): ${floors}.
Our own wrapper's \`ping()\` (the same round trip through app/lib/db, with its
timeout and error mapping) is shown beside it for comparison, not used as the floor.

## Targets

${table(["", "target", "goal", "measured", "note"], targetRows)}

## requireAppSession vs. the floor

In process, on a real \`Request\` with a signed cookie, as a loader calls it
(cookie parse, signature check, one \`app_session_check\` read: a SQL
function the planner inlines, so a prepared call runs as the bare index
lookup). "Node CPU per check" is process.cpuUsage over a loop of checks (on
PGlite it includes the database, which runs on the same thread). "Check that
writes": the touch interval has passed, so the request also records
activity (a second call, a committed UPDATE, at most once a minute per session).
${report.huge ? `\nAt ${n(report.huge.size)} live sessions on PostgreSQL: ${report.huge.note}.\n` : ""}
${table(checkHeader, checkRows)}

![requireAppSession vs floor](benchmarks.svg)

## The peer: better-auth${report.peerVersion ? ` ${report.peerVersion}` : ""}

better-auth's \`auth.api.getSession\` with database sessions and the cookie
cache off (so that a revoked session stops at its next request, as ours
does), on the same PostgreSQL server through its documented \`pg\` Pool,
its session table grown to the same size as ours, in the same interleaved
loop as the floor and our check.

${table(peerHeader, peerRows)}

## Over HTTP: the session's cost on a real route

autocannon on loopback, the dashboard of \`/app\` as a Remix data request and
as a full server-rendered document. The comparison routes (built only for the
benchmark, \`BENCH_ROUTES=1\`) render the same components with the same data:
one with no session check, one with no check but one bare \`select 1\` through
the app's pool (what any database round trip costs a route), one with
better-auth's getSession, one with Remix
\`createCookieSessionStorage\` (the stateless bound: no lookup, and no way to
revoke). CPU per request is the app process's user + system time plus that of
the PostgreSQL backends serving it (both from /proc; the app's figure is what
process.cpuUsage reads inside it), divided by the requests served: unlike
throughput it does not depend on how two cores are shared with autocannon.

${table(httpHeader, httpRows)}
${memory ? `\n**Memory.** ${n(memory.sessions)} distinct sessions each made one data request to one app instance (PostgreSQL): its RSS was ${mib(memory.rssBefore)} before, ${mib(memory.rssMiddle)} after the first half and ${mib(memory.rssAfter)} after all of them. Nothing about a session is kept in memory between requests; revocation is seen on the next request.\n` : ""}
## Cleanup under live traffic

\`cleanupExpiredSessions\` (batches of 1,000 rows, the default \`SESSION_CLEANUP_BATCH_SIZE\`, each its own transaction) on
PostgreSQL, while four concurrent loops keep calling requireAppSession on
live sessions.

${table(cleanupHeader, cleanupRows)}
${report.extra
  .map((e) => `\n## ${e.title}\n\n${e.intro}\n\n${table(e.header, e.rows)}\n`)
  .join("")}`;

  const termRows = [
    ...allChecks.map((c) => `${c.backend.padEnd(17)} ${n(c.size).padStart(10)}  floor ${fmtMicros(c.floor.p50.median).padStart(8)}  check p50 ${fmtMicros(c.read.p50.median).padStart(8)}  p99 ${fmtMicros(c.read.p99.median).padStart(8)}${c.peer ? `  better-auth ${fmtMicros(c.peer.p50.median)}` : ""}`),
    ...report.http.map((h) => `HTTP ${h.kind.padEnd(9)} ${h.variant.padEnd(15)} ${h.rps.median.toFixed(0).padStart(6)} req/s  p50 ${h.p50ms.median} ms`),
    ...(c ? [`cleanup ${n(c.expired)} expired: ${c.seconds.toFixed(2)} s, live p99 ${fmtMicros(c.liveDuring.p99)}`] : []),
    ...report.extra.flatMap((e) => e.rows.map((r) => `${e.title}: ${r.join("  ")}`)),
    "",
    ...targets.map((t) => `${t.met ? "MET   " : "MISSED"} ${t.name}: ${t.measured} (goal ${t.goal})`),
  ];
  return { markdown, svg: svgChart(allChecks), table: termRows.join("\n") };
}

export type { Figure };
