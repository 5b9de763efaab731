import { SANDBOX_SCRIPT } from "~/lib/sandbox/commerce7.server";
import { requireSandbox } from "~/lib/sandbox/index.server";

/** /sandbox/commerce7/commerce7.js: stand-in for Commerce7's script (its CDN is out of reach locally). */
export function loader() {
  requireSandbox("commerce7");
  return new Response(SANDBOX_SCRIPT, {
    headers: { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" },
  });
}
