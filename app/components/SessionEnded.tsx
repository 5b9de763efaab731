import { Banner, BlockStack, Button, Card, InlineStack, Link, Page, Text } from "@shopify/polaris";

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
        title: "Open the app from your store's admin",
        body: "You're not signed in to this app here. It signs you in when you open it from your Shopify or Commerce7 admin.",
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
          {/* The admin is the top-level page: leave the iframe to reach it. */}
          {adminLink ? (
            <div>
              <Button url={adminLink.href} target="_top" variant="primary">
                {adminLink.label}
              </Button>
            </div>
          ) : (
            // Someone who was never signed in (or came from elsewhere): both ways in.
            <InlineStack gap="300">
              <Button url="https://admin.shopify.com" target="_top">
                Go to Shopify admin
              </Button>
              <Button url="https://admin.platform.commerce7.com" target="_top">
                Go to Commerce7 admin
              </Button>
            </InlineStack>
          )}
        </BlockStack>
      </Card>
    </Page>
  );
}

/** Problems that pass on their own: shown in warning tone, with Try again. */
function isTransient(status: number): boolean {
  return status === 429 || status === 503 || status === 504;
}

/**
 * Every error page says what happened and offers a way forward: Try again
 * where trying again can help (busy, not answering, unexpected failure), a
 * way back to the dashboard where it cannot (a page that does not exist),
 * and a support link. Transient problems are warnings, not critical errors.
 */
export function ServiceProblem({
  status,
  error,
  message,
  title,
  supportUrl,
}: {
  status: number;
  error?: string;
  message?: string;
  title?: string;
  supportUrl?: string;
}) {
  const notFound = status === 404;
  const transient = isTransient(status) || error === "commerce7_rate_limited" || error === "commerce7_unavailable";
  const heading =
    title ??
    (status === 503
      ? "The app is temporarily unavailable"
      : notFound
        ? "Page not found"
        : status === 429
          ? "Too many requests"
          : "Something went wrong");
  const text =
    message ??
    (notFound
      ? "This page doesn't exist in the app. Check the address, or go back to the dashboard."
      : transient
        ? "This usually passes within a minute. Nothing was lost; try again in a moment."
        : "Something went wrong on our side. Nothing was lost; try again, and contact support if it keeps happening.");
  // 4xx other than "busy" are refusals that retrying cannot change (no access, not activated, a bad link).
  const canRetry = transient || status >= 500;
  return (
    <Page narrowWidth title={heading}>
      <BlockStack gap="400">
        <Banner tone={notFound ? "info" : transient || status < 500 ? "warning" : "critical"}>
          <p>{text}</p>
        </Banner>
        <InlineStack gap="300" blockAlign="center">
          {canRetry ? (
            <Button variant="primary" onClick={() => window.location.reload()}>
              Try again
            </Button>
          ) : null}
          {notFound ? (
            <Button url="/app" variant="primary">
              Back to Dashboard
            </Button>
          ) : null}
          {supportUrl ? (
            <Text as="p" variant="bodyMd">
              <Link url={supportUrl} target="_blank">
                Contact support
              </Link>
            </Text>
          ) : null}
        </InlineStack>
      </BlockStack>
    </Page>
  );
}
