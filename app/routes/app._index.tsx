import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Card, InlineStack, Layout, Link, Page, Text } from "@shopify/polaris";
import { requireAppSession } from "~/lib/sessions.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireAppSession(request);
  return json({
    platform: session.platform,
    client: session.organizationName ?? session.clientExternalId,
    clientExternalId: session.clientExternalId,
    hasOrganizationName: Boolean(session.organizationName),
    // Shopify's session token names the staff member by id only.
    user: session.userName ?? session.userEmail ?? (session.userId ? `staff member ${session.userId}` : "an unknown user"),
    userEmail: session.userEmail,
    rememberMe: session.rememberMe,
    expiresAt: session.expiresAt.toISOString(),
    idleMinutes: Math.round(session.idleTimeoutSeconds / 60),
  });
}

function formatEnd(iso: string) {
  return new Date(iso).toLocaleString("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC";
}

/**
 * The dashboard. The onboarding checklist is derived from what is already
 * true (seed 000: show something useful at once, never poll for back-end work).
 */
export default function Dashboard() {
  const data = useLoaderData<typeof loader>();
  const steps = [
    { done: true, label: `Install the app on ${data.clientExternalId}` },
    { done: true, label: "Open it from your admin" },
    { done: data.hasOrganizationName, label: "Name your organization", to: "/app/settings" },
    // Shopify's admin keeps its staff signed in; elsewhere the merchant may choose to.
    ...(data.platform === "shopify" ? [] : [{ done: data.rememberMe, label: "Keep this device signed in (optional)", to: "/app/sessions" }]),
  ];
  return (
    <Page title="Dashboard">
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                {data.client}
              </Text>
              <InlineStack gap="200">
                <Badge tone="info">{data.platform === "shopify" ? "Shopify" : "Commerce7"}</Badge>
                <Text as="span" tone="subdued">
                  {data.clientExternalId}
                </Text>
              </InlineStack>
              <Text as="p">
                Signed in as <strong>{data.user}</strong>
                {data.userEmail && data.userEmail !== data.user ? ` (${data.userEmail})` : ""}
              </Text>
              <Text as="p" tone="subdued">
                Your session ends <time dateTime={data.expiresAt}>{formatEnd(data.expiresAt)}</time>, or after{" "}
                {data.idleMinutes} minutes without activity.
              </Text>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Getting started
              </Text>
              <BlockStack as="ul" gap="200">
                {steps.map((step) => (
                  <InlineStack as="li" key={step.label} gap="200" blockAlign="center" wrap={false}>
                    <Badge tone={step.done ? "success" : "attention"}>{step.done ? "Done" : "To do"}</Badge>
                    {step.to && !step.done ? <Link url={step.to}>{step.label}</Link> : <Text as="span">{step.label}</Text>}
                  </InlineStack>
                ))}
              </BlockStack>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
