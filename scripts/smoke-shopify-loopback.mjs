// Preloaded (node --import) by scripts/production-smoke.mjs ONLY: sends the
// app's requests for https://<shop>.myshopify.com/... to the loopback Shopify
// stand-in named by SMOKE_SHOPIFY_STANDIN_URL, so the production build can be
// driven through a Shopify entry without the network. The app itself has no
// such switch: production code cannot be pointed away from Shopify.
const standin = process.env.SMOKE_SHOPIFY_STANDIN_URL;
if (!standin) throw new Error("SMOKE_SHOPIFY_STANDIN_URL is not set");
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const request = new Request(input, init);
  const url = new URL(request.url);
  if (!url.hostname.endsWith(".myshopify.com")) return realFetch(request);
  const target = new URL(`${url.pathname}${url.search}`, standin);
  const headers = new Headers(request.headers);
  headers.set("x-smoke-shop", url.hostname);
  return realFetch(new Request(target, { method: request.method, headers, body: request.body, duplex: "half" }));
};
