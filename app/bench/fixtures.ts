/**
 * Benchmark-only (built only with BENCH_ROUTES=1): the data the dashboard's
 * loaders return for a session, as fixed values, so the comparison routes
 * render exactly what /app renders without looking a session up.
 */
export const layoutData = {
  platform: "commerce7" as const,
  theme: "light" as const,
  csrfToken: "bench",
  loggedOutUrl: "/?reason=logged_out",
};

export const dashboardData = {
  platform: "commerce7" as const,
  client: "Bench Winery",
  clientExternalId: "bench-tenant",
  hasOrganizationName: true,
  user: "Bench User",
  userEmail: null,
  rememberMe: false,
  expiresAt: "2026-11-23T20:00:00.000Z",
  idleMinutes: 30,
};
