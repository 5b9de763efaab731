import { Banner, BlockStack, Button, Card, Link, Page, Text } from "@shopify/polaris";

export interface SessionLimits {
  ttlHours: number;
  idleMinutes: number;
}

function plural(n: number, unit: string) {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** Plain words for each reason a merchant can land on the start page with. */
export function reasonText(reason: string, limits?: SessionLimits): { title: string; body: string } | null {
  const hours = limits ? plural(limits.ttlHours, "hour") : "a few hours";
  const minutes = limits ? plural(limits.idleMinutes, "minute") : "a while";
  switch (reason) {
    case "expired":
      return {
        title: "Your session has expired",
        body: `For your security, sessions end ${hours} after you open the app.`,
      };
    case "idle":
      return {
        title: "You were signed out after inactivity",
        body: `There was no activity for ${minutes}, so we signed you out to protect your store.`,
      };
    case "revoked":
      return {
        title: "This session was ended from another device",
        body: "Someone with access to your account signed this device out from the Sessions page.",
      };
    case "logged_out":
      return { title: "You have logged out", body: "Your session on this device is closed." };
    case "unauthenticated":
      return {
        title: "Please open the app from your admin",
        body: "This page needs a session. Sessions start when you open the app from your store's admin.",
      };
    default:
      return null;
  }
}

export interface AdminLinkProps {
  platform: "shopify" | "commerce7";
  label: string;
  href: string;
}

export function SessionEnded({
  reason,
  limits,
  adminLink,
}: {
  reason: string;
  limits?: SessionLimits;
  adminLink?: AdminLinkProps | null;
}) {
  const text = reasonText(reason, limits) ?? reasonText("unauthenticated", limits);
  const how =
    adminLink?.platform === "shopify"
      ? "To get back in, open the app again from your Shopify admin (Apps)."
      : adminLink?.platform === "commerce7"
        ? "To get back in, open the app again from your Commerce7 admin (Apps)."
        : "To get back in, open the app again from your Shopify admin (Apps) or your Commerce7 admin (Apps).";
  return (
    <Page narrowWidth title={text?.title}>
      <Card>
        <BlockStack gap="300">
          <Text as="p" variant="bodyMd">
            {text?.body}
          </Text>
          <Text as="p" variant="bodyMd">
            {how}
          </Text>
          {adminLink ? (
            <div>
              {/* The admin is the top-level page: leave the iframe to reach it. */}
              <Button url={adminLink.href} target="_top" variant="primary">
                {adminLink.label}
              </Button>
            </div>
          ) : null}
        </BlockStack>
      </Card>
    </Page>
  );
}

export function ServiceProblem({
  status,
  message,
  title,
  supportUrl,
}: {
  status: number;
  message?: string;
  title?: string;
  supportUrl?: string;
}) {
  const heading =
    title ??
    (status === 503
      ? "The app is temporarily unavailable"
      : status === 404
        ? "Page not found"
        : status === 429
          ? "Too many requests"
          : "Something went wrong");
  return (
    <Page narrowWidth title={heading}>
      <BlockStack gap="300">
        <Banner tone={status === 404 || status === 429 ? "info" : status < 500 ? "warning" : "critical"}>
          <p>{message ?? (status === 503 ? "Please try again in a moment." : "Please try again.")}</p>
        </Banner>
        {supportUrl ? (
          <Text as="p" variant="bodyMd">
            Need help?{" "}
            <Link url={supportUrl} target="_blank">
              Contact support
            </Link>
          </Text>
        ) : null}
      </BlockStack>
    </Page>
  );
}
