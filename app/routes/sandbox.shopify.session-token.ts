import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { z } from "zod";
import { requireSandbox } from "~/lib/platforms/plug.server";
import type * as ShopifySandboxModule from "~/lib/sandbox/shopify.server";

const queryFor = ({ sandboxShopDomain }: typeof ShopifySandboxModule) => z.object({
  shop: z.string().transform((s, ctx) => sandboxShopDomain(s) ?? (ctx.addIssue({ code: "custom", message: "not a sandbox shop" }), z.NEVER)),
  user: z.string().regex(/^\d{1,20}$/).optional(),
  sid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});

/** GET /sandbox/shopify/session-token?shop&user&sid: a fresh session token, as the admin gives App Bridge one. */
export async function loader({ request }: LoaderFunctionArgs) {
  requireSandbox();
  const sandbox = await import("~/lib/sandbox/shopify.server");
  const parsed = queryFor(sandbox).safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) return json({ error: "invalid_request", message: parsed.error.issues[0].message }, { status: 400 });
  const token = await sandbox.signSandboxSessionToken({ shop: parsed.data.shop, userId: parsed.data.user, sid: parsed.data.sid });
  return json({ token }, { headers: { "Cache-Control": "no-store" } });
}
