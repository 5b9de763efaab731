import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { redeemSessionHandoff } from "~/lib/sessions/handoff.server";

/**
 * POST /auth/session-handoff `{"code": "…"}`: the page redeems the one-time
 * code its entry rendered, and gets its session's new token (or just a
 * rotated cookie, if the browser kept the entry's). See session-handoff.server.ts.
 */
export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== "POST") {
    return json({ error: "method_not_allowed", message: "Use POST." }, { status: 405, headers: { Allow: "POST" } });
  }
  return redeemSessionHandoff(request);
}

export function loader() {
  return json(
    { error: "method_not_allowed", message: "Use POST with the handoff code." },
    { status: 405, headers: { Allow: "POST", "Cache-Control": "no-store" } },
  );
}
