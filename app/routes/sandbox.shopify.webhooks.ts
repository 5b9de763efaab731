import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { z } from "zod";
import { requireSandbox } from "~/lib/platforms/plug.server";
import type * as ShopifySandboxModule from "~/lib/sandbox/shopify.server";
import { readJsonBody } from "~/lib/request-body.server";

const deliveryFor = ({ sandboxShopDomain, SANDBOX_WEBHOOK_TOPICS }: typeof ShopifySandboxModule) => z.object({
  shop: z.string().transform((s, ctx) => sandboxShopDomain(s) ?? (ctx.addIssue({ code: "custom", message: "not a sandbox shop" }), z.NEVER)),
  topic: z.enum(SANDBOX_WEBHOOK_TOPICS),
  webhookId: z.string().min(1).max(255).optional(),
});

/**
 * POST /sandbox/shopify/webhooks (JSON {shop, topic, webhookId?}): Shopify
 * sends a signed delivery to the app's /webhooks/shopify over HTTP; answers
 * with the app's status code. app/uninstalled first removes the app from the
 * sandbox shop, as Shopify does.
 */
export async function action({ request }: ActionFunctionArgs) {
  requireSandbox();
  const sandbox = await import("~/lib/sandbox/shopify.server");
  const parsed = deliveryFor(sandbox).safeParse(await readJsonBody(request));
  if (!parsed.success) return json({ error: "invalid_request", message: parsed.error.issues[0].message }, { status: 400 });
  const result = await sandbox.deliverSandboxWebhook({ appOrigin: new URL(request.url).origin, ...parsed.data });
  return json(result);
}
