import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { BlockStack, Card, Page, Text } from "@shopify/polaris";
import { SessionEnded } from "~/components/SessionEnded";
import { adminLinkFor } from "~/lib/platforms/admin-links.server";
import { env } from "~/lib/env.server";
import { isSessionEndReason } from "~/lib/http.server";

export const meta: MetaFunction = () => [{ title: "Embedded Sessions" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const params = new URL(request.url).searchParams;
  const reason = params.get("reason");
  // `shopify app dev` points the app URL at its tunnel's root: a frame the
  // admin opens here (shop, host, id_token…) is an entry, which lives at /app.
  if (params.get("shop") && !reason) throw redirect(`/app?${params}`, { headers: { "Cache-Control": "no-store" } });
  const e = env();
  return json({
    reason: isSessionEndReason(reason) ? reason : null,
    limits: { ttlHours: e.APP_SESSION_TTL_HOURS, idleMinutes: e.APP_SESSION_IDLE_MINUTES },
    adminLink: adminLinkFor(params),
  });
}

export default function Landing() {
  const { reason, limits, adminLink } = useLoaderData<typeof loader>();
  if (reason) return <SessionEnded reason={reason} limits={limits} adminLink={adminLink} />;
  return (
    <Page narrowWidth title="Embedded Sessions">
      <Card>
        <BlockStack gap="300">
          <Text as="p" variant="bodyMd">
            This app runs inside your Shopify or Commerce7 admin. Install it from the app store, then open it from
            your admin&apos;s Apps menu.
          </Text>
        </BlockStack>
      </Card>
    </Page>
  );
}
