import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState, type CSSProperties } from "react";
import { requireSandbox } from "~/lib/platforms/plug.server";

export const meta: MetaFunction = () => [{ title: "Shopify admin (sandbox)" }];

/**
 * GET /sandbox/shopify/admin/:store[?user=&sid=]: the sandbox's Shopify
 * admin. It frames the app at APP_URL/app with the signed parameters and a
 * fresh session token, answers App Bridge's requests for new tokens, and
 * draws the app's `<ui-nav-menu>` in its sidebar as the real admin does.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  requireSandbox();
  const { DEFAULT_SANDBOX_USER, sandboxAdminFrame, sandboxAppPath, sandboxBrowserId, sandboxBrowserSid, sandboxShopDomain } = await import(
    "~/lib/sandbox/shopify.server"
  );
  const search = new URL(request.url).searchParams;
  const headers = new Headers({ "Cache-Control": "no-store" });
  // Each browser its own admin login (sid), as Shopify does: a browser id in
  // a cookie of the sandbox admin. Without it (a script's fetch, ?sid=…) the
  // stable sid per shop and staff member.
  const browser = await sandboxBrowserId(request);
  if (browser.setCookie) headers.append("Set-Cookie", browser.setCookie);
  const store = params.store ?? "";
  const userId = search.get("user") || DEFAULT_SANDBOX_USER;
  const shop = sandboxShopDomain(store);
  const sid = search.get("sid") || (browser.id && shop ? sandboxBrowserSid(browser.id, shop, userId) : null);
  const frame = await sandboxAdminFrame(store, { userId, sid });
  if (!frame) throw json({ error: "not_found", message: "Not a sandbox store name." }, { status: 404 });
  // A reload reopens the page the merchant was on (kept in this page's URL, as the real admin does).
  const path = sandboxAppPath(search.get("path"));
  const iframeSrc = frame.iframeSrc.replace(/\/app\?/, `${path}?`);
  return json({ ...frame, iframeSrc }, { headers });
}

interface NavItem {
  href: string;
  label: string;
  home: boolean;
}

const APP_NAME = "Embedded Sessions";

const sidebarLink = (active: boolean, indent: boolean): CSSProperties => ({
  display: "block",
  padding: "6px 12px",
  paddingLeft: indent ? 28 : 12,
  borderRadius: 8,
  color: "#e3e3e3",
  textDecoration: "none",
  fontWeight: active ? 650 : 450,
  background: active ? "#3a3a3a" : "transparent",
});

/** One sidebar entry: a real link to the app's page, whose click App Bridge performs inside the frame. */
function SidebarLink(props: { item: NavItem; active: boolean; indent: boolean; open: (href: string) => void; appOrigin: string }) {
  const { item, active, indent, open, appOrigin } = props;
  return (
    <a
      href={`${appOrigin}${item.href}`}
      onClick={(event) => {
        event.preventDefault();
        open(item.href);
      }}
      aria-current={active ? "page" : undefined}
      style={sidebarLink(active, indent)}
    >
      {item.label}
    </a>
  );
}

export default function SandboxShopifyAdmin() {
  const { shop, shopName, iframeSrc, appOrigin, tokenUrl } = useLoaderData<typeof loader>();
  const frame = useRef<HTMLIFrameElement>(null);
  const [menu, setMenu] = useState<{ items: NavItem[]; path: string } | null>(null);
  const [toast, setToast] = useState<{ message: string; isError: boolean; at: number } | null>(null);

  // The admin's toasts last about five seconds.
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 5000);
    return () => clearTimeout(timer);
  }, [toast]);

  /** App Bridge reports the menu when it changes; ask again when the admin starts listening or the frame loads. */
  const askForMenu = useCallback(() => {
    frame.current?.contentWindow?.postMessage({ type: "sandbox-app-bridge:nav-request" }, appOrigin);
  }, [appOrigin]);

  useEffect(() => {
    // App Bridge in the frame asks for tokens and reports its menu; only the app's origin is heard.
    async function onMessage(event: MessageEvent) {
      const target = frame.current?.contentWindow;
      const data = event.data as {
        type?: string;
        id?: string;
        url?: string;
        items?: NavItem[];
        path?: string;
        message?: string;
        isError?: boolean;
      } | null;
      if (!target || event.source !== target || event.origin !== appOrigin || !data) return;
      if (data.type === "sandbox-app-bridge:request-id-token") {
        const reply = await fetch(tokenUrl, { cache: "no-store" })
          .then((r) => r.json() as Promise<{ token?: string }>)
          .catch(() => ({ token: undefined }));
        target.postMessage({ type: "sandbox-app-bridge:id-token", id: data.id, token: reply.token }, appOrigin);
      } else if (data.type === "sandbox-app-bridge:navigate" && data.url) {
        const url = new URL(data.url);
        if (url.origin === appOrigin || url.origin === window.location.origin) window.location.assign(url.toString());
      } else if (data.type === "sandbox-app-bridge:navigation" && Array.isArray(data.items)) {
        const path = String(data.path ?? "");
        setMenu({ items: data.items.slice(0, 20), path });
        // The admin's URL follows the app's page, so a reload reopens it.
        if (path.startsWith("/app")) {
          const url = new URL(window.location.href);
          if (path === "/app") url.searchParams.delete("path");
          else url.searchParams.set("path", path);
          window.history.replaceState(window.history.state, "", url);
        }
      } else if (data.type === "sandbox-app-bridge:toast" && data.message) {
        setToast({ message: String(data.message).slice(0, 200), isError: Boolean(data.isError), at: Date.now() });
      }
    }
    window.addEventListener("message", onMessage);
    askForMenu();
    return () => window.removeEventListener("message", onMessage);
  }, [appOrigin, tokenUrl, askForMenu]);

  /** A click in the sidebar: App Bridge clicks the matching link inside the app. */
  function open(href: string) {
    frame.current?.contentWindow?.postMessage({ type: "sandbox-app-bridge:nav-click", href }, appOrigin);
  }

  const home = menu?.items.find((item) => item.home);
  const items = menu?.items.filter((item) => !item.home) ?? [];
  const current = menu?.path.replace(/\/$/, "") ?? "";

  return (
    <div className="sandbox-admin" style={{ display: "flex", flexDirection: "column", height: "100vh", background: "#1a1a1a", font: "14px system-ui" }}>
      {/* At phone widths the sidebar becomes a row above the app, which keeps the full width. */}
      <style>{`
        @media (max-width: 640px) {
          .sandbox-admin-body { flex-direction: column; }
          .sandbox-admin-nav { width: auto !important; display: flex; flex-wrap: wrap; align-items: center; }
          .sandbox-admin-header { flex-wrap: wrap; }
          .sandbox-admin-frame { border-radius: 0 !important; }
        }
      `}</style>
      <header className="sandbox-admin-header" style={{ display: "flex", gap: 16, alignItems: "center", padding: "8px 16px", color: "#e3e3e3" }}>
        <strong>Shopify admin (sandbox)</strong>
        <span>
          {shopName} · {shop}
        </span>
        <Link to="/sandbox/shopify" style={{ color: "#9bc5ff", marginLeft: "auto" }}>
          Sandbox home
        </Link>
      </header>
      <div className="sandbox-admin-body" style={{ display: "flex", flex: 1, minHeight: 0 }}>
        <nav aria-label="Admin" className="sandbox-admin-nav" style={{ width: 220, padding: "8px", color: "#b5b5b5" }}>
          <div style={{ padding: "6px 12px", fontSize: 12, textTransform: "uppercase", letterSpacing: 0.5 }}>Apps</div>
          {home ? (
            <SidebarLink item={{ ...home, label: APP_NAME }} active={current === home.href} indent={false} open={open} appOrigin={appOrigin} />
          ) : (
            <span style={sidebarLink(true, false)}>{APP_NAME}</span>
          )}
          {items.map((item) => (
            <SidebarLink key={item.href} item={item} active={current === item.href} indent open={open} appOrigin={appOrigin} />
          ))}
        </nav>
        <iframe
          ref={frame}
          title="App"
          src={iframeSrc}
          onLoad={askForMenu}
          className="sandbox-admin-frame"
          style={{ flex: 1, border: 0, background: "#f1f1f1", borderRadius: "12px 0 0 0" }}
        />
      </div>
      <div role="status" aria-live="polite" style={{ position: "fixed", bottom: 24, left: 0, right: 0, display: "flex", justifyContent: "center", pointerEvents: "none" }}>
        {toast ? (
          <div
            key={toast.at}
            style={{
              background: toast.isError ? "#8e1f0b" : "#303030",
              color: "#fff",
              padding: "10px 16px",
              borderRadius: 10,
              boxShadow: "0 4px 12px rgba(0,0,0,.3)",
            }}
          >
            {toast.message}
          </div>
        ) : null}
      </div>
    </div>
  );
}
