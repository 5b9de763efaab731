import polarisStyles from "@shopify/polaris/build/esm/styles.css";
import { AppProvider } from "@shopify/polaris";
import enTranslations from "@shopify/polaris/locales/en.json";
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  isRouteErrorResponse,
  json,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import { useEffect, type ReactNode } from "react";
import { SessionEnded, ServiceProblem } from "~/components/SessionEnded";
import { env } from "~/lib/env.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: polarisStyles }];

export const meta: MetaFunction = () => [{ title: "Embedded Sessions" }];

export async function loader(_: LoaderFunctionArgs) {
  const e = env();
  return json({
    limits: { ttlHours: e.APP_SESSION_TTL_HOURS, idleMinutes: e.APP_SESSION_IDLE_MINUTES },
  });
}

function Document({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <AppProvider i18n={enTranslations}>{children}</AppProvider>
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return (
    <Document>
      <Outlet />
    </Document>
  );
}

/** 401 from a data request and 503 from an outage land here with a page that says what happened. */
export function ErrorBoundary() {
  const error = useRouteError();
  const root = useRouteLoaderData<typeof loader>("root");
  let body: ReactNode;
  const reasonUrl = isRouteErrorResponse(error) && error.status === 401 ? (error.data as { reasonUrl?: unknown } | null)?.reasonUrl : null;
  useEffect(() => {
    // A page's data request found the session ended: load the explanation page,
    // which links back to the right admin. Only our own relative URL is followed.
    if (typeof reasonUrl === "string" && reasonUrl.startsWith("/?")) window.location.replace(reasonUrl);
  }, [reasonUrl]);
  if (isRouteErrorResponse(error) && error.status === 401) {
    const reason = (error.data as { error?: string } | null)?.error;
    body = <SessionEnded reason={reason ?? "unauthenticated"} limits={root?.limits} />;
  } else if (isRouteErrorResponse(error)) {
    const message = (error.data as { message?: string } | null)?.message;
    body = <ServiceProblem status={error.status} message={message} />;
  } else {
    body = <ServiceProblem status={500} />;
  }
  return <Document>{body}</Document>;
}
