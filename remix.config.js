/**
 * Remix v2, classic compiler.
 *
 * BENCH_ROUTES=1 (used only by `npm run bench`) adds comparison routes from
 * app/bench/ and builds into build-bench/, so they never reach a normal build.
 */
const bench = process.env.BENCH_ROUTES === "1";

/** @type {import('@remix-run/dev').AppConfig} */
export default {
  ignoredRouteFiles: ["**/.*", "**/*.test.{ts,tsx}"],
  serverModuleFormat: "esm",
  serverPlatform: "node",
  // Polaris imports its locale JSON; bundle it so server rendering can load it.
  serverDependenciesToBundle: [/^@shopify\/polaris/],
  ...(bench
    ? {
        serverBuildPath: "build-bench/index.js",
        assetsBuildDirectory: "public/build-bench",
        publicPath: "/build-bench/",
        routes: async (defineRoutes) =>
          defineRoutes((route) => {
            route("bench/plain", "bench/plain-layout.tsx", () => {
              route("", "bench/plain-index.tsx", { index: true });
            });
            route("bench/roundtrip", "bench/roundtrip-layout.tsx", () => {
              route("", "bench/roundtrip-index.tsx", { index: true });
            });
            route("bench/cookie", "bench/cookie-layout.tsx", () => {
              route("", "bench/cookie-index.tsx", { index: true });
            });
            route("bench/better-auth", "bench/better-auth-layout.tsx", () => {
              route("", "bench/better-auth-index.tsx", { index: true });
            });
            route("bench/reverify", "bench/reverify-layout.tsx", () => {
              route("", "bench/reverify-index.tsx", { index: true });
              route("settings", "bench/reverify-settings.tsx");
            });
          }),
      }
    : {}),
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_lazyRouteDiscovery: false,
    v3_singleFetch: false,
  },
};
