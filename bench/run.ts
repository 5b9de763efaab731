/**
 * npm run bench: every figure side by side, measured in ONE run on this
 * machine, each a median of repetitions with its spread, every comparison a
 * ratio of figures from this run. Writes docs/BENCHMARKS.md and
 * docs/benchmarks.svg (or --out <dir>). `--smoke` runs tiny sizes (the test
 * suite does, so the benchmark cannot rot); it is not a measurement.
 *
 * Needs PostgreSQL (TEST_DATABASE_URL, default the machine's
 * postgres://postgres@127.0.0.1:5432/test). Loopback only.
 */
import "./lib/env";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openPgliteBench, openPostgresPair } from "./lib/backends";
import { openBetterAuthPeer } from "./lib/better-auth";
import { peerSection, renderReport, seedSection, type BenchReport } from "./lib/report";
import { measureCleanup } from "./sections/cleanup";
import { measureHttp } from "./sections/http";
import { measurePeerStore } from "./sections/peer-store";
import { measureSeedScenario } from "./sections/seed-scenario";
import { measureSessionChecks } from "./sections/session-check";
import { createScratchDatabase } from "../tests/support/databases";

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    out: { type: "string" },
    sizes: { type: "string" },
    render: { type: "string" },
  },
});

const smoke = values.smoke;
const outDir = path.resolve(values.out ?? (smoke ? fs.mkdtempSync(path.join(os.tmpdir(), "bench-")) : "docs"));
const sizes = (values.sizes ?? (smoke ? "100,300" : "1000,100000,1000000")).split(",").map(Number);
const databaseUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const plan = smoke
  ? { reps: 2, samples: 50, httpReps: 1, httpSeconds: 1, connections: 4, expired: 2000, seedReps: 1, peerSessions: 20, huge: 500, memorySessions: 300 }
  : { reps: 5, samples: 2000, httpReps: 3, httpSeconds: 4, connections: 10, expired: 1_000_000, seedReps: 5, peerSessions: 1000, huge: 10_000_000, memorySessions: 100_000 };
/** better-auth is compared at these sizes (the issue's 1k and 100k; every size in a smoke run). */
const peerSizes = smoke ? sizes : sizes.filter((s) => s === 1000 || s === 100_000);
/** Seconds the 10M population may take (estimated from this run's rate); over it, the row says skipped. */
const hugeBudgetSeconds = Number(process.env.BENCH_HUGE_SECONDS ?? 900);

const log = (line: string) => process.stderr.write(`${line}\n`);

function machine() {
  const cpus = os.cpus();
  let postgresVersion = "unknown";
  try {
    postgresVersion = execFileSync("psql", [databaseUrl, "-Atc", "show server_version"], { encoding: "utf8" }).trim();
  } catch {
    // psql absent: the report says unknown
  }
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    // not a checkout
  }
  return {
    cpu: `${cpus[0]?.model ?? "unknown"} × ${cpus.length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: postgresVersion,
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    commit,
    load: os.loadavg().map((l) => l.toFixed(2)).join(" "),
  };
}

function postgresDataDir(): string {
  try {
    return execFileSync("psql", [databaseUrl, "-Atc", "show data_directory"], { encoding: "utf8" }).trim() || "/";
  } catch {
    return "/";
  }
}

async function main() {
  const started = Date.now();
  log(`bench: sizes ${sizes.join(", ")}; ${plan.reps} repetitions of ${plan.samples} samples${smoke ? " (smoke)" : ""}`);
  const report: BenchReport = {
    machine: machine(),
    smoke,
    sizes,
    checks: [],
    huge: null,
    http: [],
    memory: null,
    peerVersion: null,
    cleanup: null,
    extra: [],
  };

  log("building the comparison routes (BENCH_ROUTES=1)...");
  execFileSync(process.execPath, ["node_modules/@remix-run/dev/dist/cli.js", "build"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, NODE_ENV: "production", BENCH_ROUTES: "1" },
  });

  log("session checks, floors and better-auth:");
  const pglite = await openPgliteBench();
  const pair = await openPostgresPair(databaseUrl);
  const peerDb = await createScratchDatabase(databaseUrl);
  const peer = await openBetterAuthPeer(peerDb.url);
  try {
    await peer.verifyRevocation(); // proves the cookie format and that revocation is immediate there too
    report.peerVersion = peer.version;
    const measured = await measureSessionChecks(
      [
        { backend: pglite, grow: true },
        { backend: pair.postgres, grow: true },
        { backend: pair.supabase, grow: false },
      ],
      {
        sizes,
        reps: plan.reps,
        samples: plan.samples,
        log,
        peer: { auth: peer, sizes: peerSizes },
        huge: { size: plan.huge, budgetSeconds: hugeBudgetSeconds, dataDir: postgresDataDir() },
      },
    );
    report.checks = measured.checks;
    report.huge = measured.huge;
    await pglite.close();

    log("platform-session load, ours vs Shopify's PostgreSQL adapter:");
    report.extra.push(
      peerSection(
        await measurePeerStore(pair.postgres, pair.url, { sessions: plan.peerSessions, reps: plan.reps, samples: plan.samples, log }),
      ),
    );

    log("seed 003's scenario (3 clicks, Commerce7 sandbox at 300 ms):");
    report.extra.push(seedSection(await measureSeedScenario(pair.url, { reps: plan.seedReps, log })));

    log("HTTP (autocannon), CPU per request, memory:");
    await peer.populate(Math.max(1, peerSizes[0] ?? 1));
    const http = await measureHttp(pair.postgres, pair.url, {
      reps: plan.httpReps,
      seconds: plan.httpSeconds,
      connections: plan.connections,
      memorySessions: plan.memorySessions,
      betterAuth: { url: peerDb.url, database: new URL(peerDb.url).pathname.slice(1) },
      database: pair.database,
      log,
    });
    report.http = http.rows;
    report.memory = http.memory;
  } finally {
    await peer.close();
    await peerDb.drop();
    await pair.close();
  }

  log("cleanup of expired sessions under live traffic:");
  const cleanupPair = await openPostgresPair(databaseUrl);
  try {
    report.cleanup = await measureCleanup(cleanupPair.postgres, plan.expired, log);
  } finally {
    await cleanupPair.close();
  }

  // The measurements themselves, so the report can be re-rendered (`--render <file>`) without measuring again.
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, "benchmarks.json"), `${JSON.stringify(report, null, 1)}\n`);
  writeReport(report);
  log(`wrote ${path.join(outDir, "BENCHMARKS.md")} and benchmarks.svg in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function writeReport(report: BenchReport) {
  const { markdown, svg, table } = renderReport(report);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, "BENCHMARKS.md"), markdown);
  fs.writeFileSync(path.join(outDir, "benchmarks.svg"), svg);
  process.stdout.write(`${table}\n`);
}

const run = values.render
  ? async () => writeReport(JSON.parse(fs.readFileSync(values.render as string, "utf8")) as BenchReport)
  : main;

run().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
