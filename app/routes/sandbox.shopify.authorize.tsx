import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { Banner, BlockStack, Button, Card, Page, Text } from "@shopify/polaris";
import { requireSandbox } from "~/lib/platforms/plug.server";
import { readFormBody } from "~/lib/request-body.server";

export const meta: MetaFunction = () => [{ title: "Install app (Shopify sandbox)" }];

/** GET /sandbox/shopify/authorize?shop&client_id&scope&redirect_uri&state: Shopify's OAuth consent page. */
export async function loader({ request }: LoaderFunctionArgs) {
  requireSandbox();
  const { parseAuthorizeRequest } = await import("~/lib/sandbox/shopify.server");
  const parsed = parseAuthorizeRequest(new URL(request.url).searchParams);
  if (!parsed.ok) return json({ error: parsed.message, request: null }, { status: 400 });
  return json({ error: null, request: parsed.request });
}

/** POST: the merchant approves; Shopify redirects to the app's callback with a code. */
export async function action({ request }: ActionFunctionArgs) {
  requireSandbox();
  const { approveAuthorization, parseAuthorizeRequest } = await import("~/lib/sandbox/shopify.server");
  const form = await readFormBody(request);
  const parsed = parseAuthorizeRequest(new URLSearchParams([...form].map(([k, v]) => [k, String(v)])));
  if (!parsed.ok) return json({ error: parsed.message, request: null }, { status: 400 });
  return redirect(approveAuthorization(parsed.request));
}

export default function SandboxAuthorize() {
  const { error, request } = useLoaderData<typeof loader>();
  if (!request) {
    return (
      <Page narrowWidth title="Install app">
        <Banner tone="critical">{error}</Banner>
      </Page>
    );
  }
  return (
    <Page narrowWidth title="Install app" subtitle={`on ${request.shop} (Shopify sandbox)`}>
      <Card>
        <Form method="post" reloadDocument>
          {Object.entries(request).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          <BlockStack gap="300">
            <Text as="p">This app will be able to: {request.scope || "nothing beyond basic store data"}.</Text>
            <Button submit variant="primary">
              Install app
            </Button>
          </BlockStack>
        </Form>
      </Card>
    </Page>
  );
}
