import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { BlockStack, Button, Card, InlineStack, Page, Text } from "@shopify/polaris";
import { requireAppSession } from "~/lib/sessions.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireAppSession(request);
  return json({
    platform: session.platform,
    client: session.organizationName ?? session.clientExternalId,
    user: session.userName ?? session.userEmail ?? "Unknown user",
    expiresAt: session.expiresAt.toISOString(),
  });
}

export default function Dashboard() {
  const data = useLoaderData<typeof loader>();
  return (
    <Page title="Dashboard">
      <Card>
        <BlockStack gap="200">
          <Text as="p">
            <strong>Store:</strong> {data.client} ({data.platform === "shopify" ? "Shopify" : "Commerce7"})
          </Text>
          <Text as="p">
            <strong>Signed in as:</strong> {data.user}
          </Text>
          <Text as="p">
            <strong>Session ends:</strong> <time dateTime={data.expiresAt}>{new Date(data.expiresAt).toUTCString()}</time>
          </Text>
          <InlineStack>
            <Form method="post" action="/logout">
              <Button submit>Log out</Button>
            </Form>
          </InlineStack>
        </BlockStack>
      </Card>
    </Page>
  );
}
