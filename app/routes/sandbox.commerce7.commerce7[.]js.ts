import { requireSandbox } from "~/lib/platforms/plug.server";

/** /sandbox/commerce7/commerce7.js: stand-in for Commerce7's script (its CDN is out of reach locally). */
export async function loader() {
  requireSandbox();
  const { SANDBOX_SCRIPT } = await import("~/lib/sandbox/commerce7.server");
  return new Response(SANDBOX_SCRIPT, {
    headers: { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" },
  });
}
