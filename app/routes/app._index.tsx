import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { Badge, BlockStack, Card, InlineStack, Layout, Link, Page, Text } from "@shopify/polaris";
import { durationInWords, Time } from "~/components/Time";
import { requireAppSession } from "~/lib/sessions/core.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireAppSession(request);
  return json({
    platform: session.platform,
    client: session.organizationName ?? session.clientExternalId,
    clientExternalId: session.clientExternalId,
    hasOrganizationName: Boolean(session.organizationName),
    // A person's name or email, never an id: Shopify's session token names
    // the staff member by number only, and "staff member 1001" means nothing
    // to a merchant. Until the entry learns names (online tokens), nothing.
    user: session.userName ?? session.userEmail ?? null,
    userEmail: session.userEmail,
    rememberMe: session.rememberMe,
    expiresAt: session.expiresAt.toISOString(),
    idleMinutes: Math.round(session.idleTimeoutSeconds / 60),
  });
}

/**
 * The dashboard. The getting-started card lists only what is left for the
 * merchant to do (seed 000: derived from what is already true, never polled).
 * Nothing done FOR the merchant is shown as done BY them (the install, an
 * organization name taken from the shop), and the card goes once empty.
 */
export default function Dashboard() {
  const data = useLoaderData<typeof loader>();
  const steps = [
    ...(data.hasOrganizationName ? [] : [{ label: "Name your organization", to: "/app/settings" }]),
    // Shopify's admin keeps its staff signed in; elsewhere the merchant may choose to.
    ...(data.platform === "shopify" || data.rememberMe
      ? []
      : [{ label: "Keep this device signed in (optional)", to: "/app/sessions" }]),
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
              {data.user ? (
                <Text as="p">
                  Signed in as <strong>{data.user}</strong>
                  {data.userEmail && data.userEmail !== data.user ? ` (${data.userEmail})` : ""}
                </Text>
              ) : null}
              {/* In the Shopify admin, Shopify keeps its staff signed in: every visit renews the session. */}
              {data.platform === "shopify" ? null : (
                <Text as="p" tone="subdued">
                  Your session ends <Time iso={data.expiresAt} withDate />, or after {durationInWords(data.idleMinutes)}{" "}
                  without activity.
                </Text>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        {steps.length > 0 ? (
          <Layout.Section variant="oneThird">
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Getting started
                </Text>
                <BlockStack as="ul" gap="200">
                  {steps.map((step) => (
                    <InlineStack as="li" key={step.label} gap="200" blockAlign="center" wrap={false}>
                      <Badge tone="attention">To do</Badge>
                      <Link url={step.to}>{step.label}</Link>
                    </InlineStack>
                  ))}
                </BlockStack>
              </BlockStack>
            </Card>
          </Layout.Section>
        ) : null}
      </Layout>
    </Page>
  );
}
