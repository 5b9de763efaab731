/**
 * Seed 003's scenario, measured: a merchant already in the app makes three
 * clicks — Settings, Save, back to Dashboard — as the Remix client sends them
 * (a data request per page, the action plus the revalidation of the loaders
 * on the page after Save).
 *
 *   before: every request re-verifies with Commerce7 (bench route
 *           /bench/reverify/*, the same verifyAccount as the entry)
 *   after:  the app session (cookie), /app/*
 *
 * The Commerce7 sandbox answers /account/user after its realistic 300 ms;
 * its call counter gives the platform calls.
 */
import { startApp } from "../../tests/support/app-server";
import { commerce7Sandbox, COMMERCE7_TEST_ENV } from "../../tests/support/commerce7";
import { figure, type Figure } from "../lib/stats";

export interface SeedResult {
  variant: "re-verify every request" | "app session";
  totalMs: Figure;
  perClickMs: [Figure, Figure, Figure];
  platformCalls: number;
  requests: number;
}

interface Step {
  method: "GET" | "POST";
  path: string;
  body?: Record<string, string>;
}

/** The requests of each click, as Remix sends them. */
function clicks(base: string, query: string, routes: { layout: string; index: string; settings: string }): Step[][] {
  const q = (route: string) => `${query ? `${query}&` : ""}_data=${encodeURIComponent(route)}`;
  return [
    [{ method: "GET", path: `${base}/settings?${q(routes.settings)}` }],
    [
      { method: "POST", path: `${base}/settings?${q(routes.settings)}`, body: { organizationName: "Harbor & Hill" } },
      { method: "GET", path: `${base}?${q(routes.layout)}` },
      { method: "GET", path: `${base}/settings?${q(routes.settings)}` },
    ],
    [{ method: "GET", path: `${base}?${q(routes.index)}` }],
  ];
}

export async function measureSeedScenario(
  databaseUrl: string,
  options: { reps: number; log: (line: string) => void },
): Promise<SeedResult[]> {
  const app = await startApp({
    REMIX_BUILD_DIR: "build-bench",
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: "warn",
    ...COMMERCE7_TEST_ENV,
    // The sandbox answers after 300 ms: the default timeout, not the tests' 100 ms.
    COMMERCE7_API_TIMEOUT_MS: "5000",
  });
  try {
    const sandbox = commerce7Sandbox(app);
    const tenantId = `seed-${process.pid}`;
    await sandbox.control({ reset: true, latencyMs: 300 });
    await sandbox.activate(tenantId);
    const { src, response } = await sandbox.enter({ tenantId });
    const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0];
    const csrf = /name="csrf" value="([^"]+)"/.exec(await response.text())?.[1] ?? "";
    const account = new URLSearchParams(src.split("?")[1]).get("account") ?? "";
    if (!cookie || !csrf || !account) throw new Error(`seed scenario: the entry gave no session (${response.status}, cookie ${Boolean(cookie)}, csrf ${Boolean(csrf)}, account ${Boolean(account)})`);

    async function run(steps: Step[][], headers: Record<string, string>, extraBody: Record<string, string>) {
      const perClick: number[] = [];
      let requests = 0;
      for (const click of steps) {
        const started = performance.now();
        for (const step of click) {
          const res = await fetch(`${app.url}${step.path}`, {
            method: step.method,
            headers: step.body
              ? { ...headers, "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin" }
              : headers,
            body: step.body ? new URLSearchParams({ ...step.body, ...extraBody }) : undefined,
          });
          await res.arrayBuffer();
          requests += 1;
          if (res.status !== 200) throw new Error(`seed scenario: ${step.method} ${step.path} answered ${res.status}`);
        }
        perClick.push(performance.now() - started);
      }
      return { perClick, requests };
    }

    const variants: Array<{ variant: SeedResult["variant"]; steps: Step[][]; headers: Record<string, string>; body: Record<string, string> }> = [
      {
        variant: "re-verify every request",
        steps: clicks("/bench/reverify", new URLSearchParams({ tenantId, account }).toString(), {
          layout: "bench/reverify-layout",
          index: "bench/reverify-index",
          settings: "bench/reverify-settings",
        }),
        headers: {},
        body: {},
      },
      {
        variant: "app session",
        steps: clicks("/app", "", { layout: "routes/app", index: "routes/app._index", settings: "routes/app.settings" }),
        headers: { Cookie: cookie },
        body: { csrf },
      },
    ];

    const results: SeedResult[] = [];
    for (const v of variants) {
      const totals: number[] = [];
      const byClick: number[][] = [[], [], []];
      let calls = 0;
      let requests = 0;
      await run(v.steps, v.headers, v.body); // warm-up, not counted
      for (let r = 0; r < options.reps; r++) {
        const before = (await sandbox.report()).accountUserCalls;
        const { perClick, requests: n } = await run(v.steps, v.headers, v.body);
        calls = (await sandbox.report()).accountUserCalls - before;
        requests = n;
        perClick.forEach((ms, i) => byClick[i].push(ms));
        totals.push(perClick.reduce((a, b) => a + b, 0));
      }
      const result: SeedResult = {
        variant: v.variant,
        totalMs: figure(totals),
        perClickMs: [figure(byClick[0]), figure(byClick[1]), figure(byClick[2])],
        platformCalls: calls,
        requests,
      };
      results.push(result);
      options.log(`  ${v.variant}: ${result.totalMs.median.toFixed(1)} ms for 3 clicks, ${calls} Commerce7 calls`);
    }
    return results;
  } finally {
    await app.stop();
  }
}
