import polarisStyles from "@shopify/polaris/build/esm/styles.css";
import appStyles from "~/styles/app.css";
import { AppProvider } from "@shopify/polaris";
import enTranslations from "@shopify/polaris/locales/en.json";
import type { HeadersFunction, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
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
import { PolarisLink } from "~/components/PolarisLink";
import { reasonText, SessionEnded, ServiceProblem } from "~/components/SessionEnded";
import { ProgressBar } from "~/components/ProgressBar";
import { useAppFrame } from "~/hooks/useAppFrame";
import { commerce7ScriptUrl } from "~/lib/platforms/commerce7.server";
import { commerce7Settings } from "~/lib/platforms/commerce7/config.server";
import { env } from "~/lib/env.server";
import { appBridgeFor } from "~/lib/platforms/shopify.server";
import { polarisTheme, themeClassName, type AppTheme } from "~/lib/theme";

export const links: LinksFunction = () => [
  // public/favicon.svg (and favicon.ico for browsers that ask for it regardless).
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
  { rel: "stylesheet", href: polarisStyles },
  { rel: "stylesheet", href: appStyles },
];

export const meta: MetaFunction = () => [{ title: "Embedded Sessions" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const e = env();
  const params = new URL(request.url).searchParams;
  return json({
    limits: { ttlHours: e.APP_SESSION_TTL_HOURS, idleMinutes: e.APP_SESSION_IDLE_MINUTES },
    // Pages without a session (the explanation at /?reason=…) shown in a dark
    // admin's iframe: reasonPath adds theme=dark; an entry that is refused (its
    // error page) keeps the admin's adminUITheme. Only a look, never trusted for more.
    theme: (params.get("theme") === "dark" || params.get("adminUITheme") === "dark" ? "dark" : "light") as AppTheme,
    // Where every error page's "Contact support" goes (your support page or a mailto: link).
    supportUrl: commerce7Settings().supportUrl,
    // An error page in the Commerce7 admin still loads commerce7.js, so the frame fits it.
    platformScript: params.has("tenantId") || params.get("platform") === "commerce7" ? commerce7ScriptUrl() : null,
    // Pages the Shopify admin frames load App Bridge (the sandbox's stand-in in development).
    appBridge: await appBridgeFor(request),
  });
}

/** A refused request's Retry-After (503 from an outage or Commerce7) reaches the page's response too. */
export const headers: HeadersFunction = ({ errorHeaders }) => {
  const headers = new Headers();
  const retryAfter = errorHeaders?.get("Retry-After");
  if (retryAfter) headers.set("Retry-After", retryAfter);
  return headers;
};

function Document({ children }: { children: ReactNode }) {
  // The admin's theme, from the app session (routes/app's loader); elsewhere the page's own (light by default).
  const root = useRouteLoaderData<typeof loader>("root");
  const app = useAppFrame();
  const theme = app?.theme ?? root?.theme;
  const appBridge = root?.appBridge;
  // In the Commerce7 admin the frame follows the content's height (app.css).
  const fitContent = Boolean(app?.platformScript ?? root?.platformScript);
  return (
    <html
      lang="en"
      className={`${themeClassName(theme)}${fitContent ? " app-fit-content" : ""}`}
      style={{ colorScheme: theme === "dark" ? "dark" : "light" }}
    >
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {appBridge ? (
          <>
            {/* App Bridge must be the first script on the page. */}
            <meta name="shopify-api-key" content={appBridge.apiKey} />
            <script src={appBridge.src} data-api-key={appBridge.apiKey} />
          </>
        ) : null}
        <Meta />
        <Links />
      </head>
      <body style={{ backgroundColor: "var(--p-color-bg)", color: "var(--p-color-text)" }}>
        <AppProvider i18n={enTranslations} theme={polarisTheme(theme)} linkComponent={PolarisLink}>
          <ProgressBar />
          {children}
        </AppProvider>
        {/* Pages outside /app (error pages, the explanation page) in the Commerce7 frame: /app's layout loads its own. */}
        {!app?.platformScript && root?.platformScript ? <script src={root.platformScript} async /> : null}
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
  const data = isRouteErrorResponse(error)
    ? ((error.data ?? {}) as { error?: string; message?: string; title?: string; supportUrl?: string })
    : {};
  if (isRouteErrorResponse(error) && error.status === 401 && (!data.error || reasonText(data.error) !== null)) {
    body = <SessionEnded reason={data.error ?? "unauthenticated"} limits={root?.limits} />;
  } else if (isRouteErrorResponse(error)) {
    // Platform refusals (e.g. Commerce7's "no access", "not activated") carry their own title and support link.
    body = (
      <ServiceProblem
        status={error.status}
        error={data.error}
        message={data.message}
        title={data.title}
        supportUrl={data.supportUrl ?? root?.supportUrl}
      />
    );
  } else {
    body = <ServiceProblem status={500} supportUrl={root?.supportUrl} />;
  }
  return <Document>{body}</Document>;
}
