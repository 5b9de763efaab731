/**
 * CPU spent by processes, read from /proc (Linux): the app's process (the
 * same counters process.cpuUsage reads inside it) and the PostgreSQL backends
 * serving a set of databases. Per request, this does not depend on how the
 * two cores are shared by the app, the database and the load generator.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import type { SqlExecutor } from "~/lib/db/types";

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU of a process so far, in microseconds; null when it is gone (or not Linux). */
export function processCpuMicros(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks()) * 1e6;
  } catch {
    return null;
  }
}

/** Resident set size of a process, in bytes; null when unknown. */
export function processRssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface CpuSnapshot {
  app: number;
  backends: Map<number, number>;
}

/** The app's CPU and that of every PostgreSQL backend connected to `databases` (but the one asking). */
export async function cpuSnapshot(appPid: number, sql: SqlExecutor, databases: string[]): Promise<CpuSnapshot> {
  const rows = await sql.query<{ pid: number }>(
    "select pid from pg_stat_activity where datname = any($1::text[]) and pid <> pg_backend_pid()",
    [databases],
  );
  const backends = new Map<number, number>();
  for (const { pid } of rows) {
    const micros = processCpuMicros(pid);
    if (micros !== null) backends.set(pid, micros);
  }
  return { app: processCpuMicros(appPid) ?? Number.NaN, backends };
}

/** CPU between two snapshots: the app's, and the database's (a backend new since `before` counts from zero). */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): { app: number; database: number } {
  let database = 0;
  for (const [pid, micros] of after.backends) database += micros - (before.backends.get(pid) ?? 0);
  return { app: after.app - before.app, database };
}
