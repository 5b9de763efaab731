import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { BlockStack, Button, Card, InlineStack, Page, Text, TextField } from "@shopify/polaris";
import { useState } from "react";
import { z } from "zod";
import { requireSandbox } from "~/lib/platforms/plug.server";
import type * as ShopifySandboxModule from "~/lib/sandbox/shopify.server";
import { readFormBody } from "~/lib/request-body.server";

export const meta: MetaFunction = () => [{ title: "Shopify sandbox" }];

export async function loader() {
  requireSandbox();
  const { listSandboxShops, sandboxPlatformCalls } = await import("~/lib/sandbox/shopify.server");
  return json({ shops: listSandboxShops(), calls: sandboxPlatformCalls() }, { headers: { "Cache-Control": "no-store" } });
}

const formFor = ({ sandboxShopDomain }: typeof ShopifySandboxModule) => z.object({
  intent: z.enum(["open", "install", "uninstall"]),
  store: z.string().transform((s, ctx) => sandboxShopDomain(s) ?? (ctx.addIssue({ code: "custom", message: "Use letters, digits and dashes." }), z.NEVER)),
});

/**
 * POST /sandbox/shopify: open a test shop's admin, install the app on it from
 * the "App Store" (OAuth), or uninstall it (Shopify sends app/uninstalled).
 */
export async function action({ request }: ActionFunctionArgs) {
  requireSandbox();
  const sandbox = await import("~/lib/sandbox/shopify.server");
  const { deliverSandboxWebhook, storeNameOf } = sandbox;
  const parsed = formFor(sandbox).safeParse(Object.fromEntries(await readFormBody(request)));
  if (!parsed.success) return json({ error: parsed.error.issues[0].message }, { status: 400 });
  const { intent, store } = parsed.data;
  if (intent === "install") return redirect(`/install/shopify?${new URLSearchParams({ shop: store })}`);
  if (intent === "uninstall") {
    await deliverSandboxWebhook({ appOrigin: new URL(request.url).origin, shop: store, topic: "app/uninstalled" });
    return redirect("/sandbox/shopify");
  }
  return redirect(`/sandbox/shopify/admin/${storeNameOf(store)}`);
}

/** GET /sandbox/shopify: the local Shopify stand-in (development and tests only). */
export default function ShopifySandbox() {
  const { shops, calls } = useLoaderData<typeof loader>();
  const [store, setStore] = useState("sandbox-shop");
  return (
    <Page title="Shopify sandbox" subtitle="A local stand-in for Shopify: never runs in production.">
      <BlockStack gap="400">
        <Card>
          <BlockStack gap="300">
            <TextField label="Test shop" value={store} onChange={setStore} suffix=".myshopify.com" autoComplete="off" />
            <InlineStack gap="200">
              <Form method="post" reloadDocument>
                <input type="hidden" name="intent" value="install" />
                <input type="hidden" name="store" value={store} />
                <Button submit variant="primary">
                  Install on a test shop
                </Button>
              </Form>
              <Form method="post">
                <input type="hidden" name="intent" value="open" />
                <input type="hidden" name="store" value={store} />
                <Button submit>Open in the admin</Button>
              </Form>
            </InlineStack>
          </BlockStack>
        </Card>
        <Card>
          <BlockStack gap="200">
            <Text as="h2" variant="headingMd">
              Test shops
            </Text>
            {shops.length === 0 ? <Text as="p">None yet.</Text> : null}
            {shops.map((shop) => (
              <InlineStack key={shop.domain} gap="300" blockAlign="center">
                <Link to={`/sandbox/shopify/admin/${shop.store}`}>{shop.name}</Link>
                <Text as="span" tone="subdued">
                  {shop.domain} · {shop.installed ? `installed (${shop.grantedScopes})` : "app not installed"}
                </Text>
                {shop.installed ? (
                  <Form method="post">
                    <input type="hidden" name="intent" value="uninstall" />
                    <input type="hidden" name="store" value={shop.store} />
                    <Button submit variant="plain" tone="critical">
                      Uninstall (sends app/uninstalled)
                    </Button>
                  </Form>
                ) : null}
              </InlineStack>
            ))}
          </BlockStack>
        </Card>
        <Card>
          <Text as="p">
            Calls the app made to Shopify: <strong>{calls.total}</strong>{" "}
            {Object.entries(calls.byKind)
              .map(([kind, n]) => `${kind} ${n}`)
              .join(", ")}
          </Text>
        </Card>
      </BlockStack>
    </Page>
  );
}
