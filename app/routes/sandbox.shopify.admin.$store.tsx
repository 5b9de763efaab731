import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { requireSandbox } from "~/lib/sandbox/index.server";
import { sandboxAdminFrame } from "~/lib/sandbox/shopify.server";

export const meta: MetaFunction = () => [{ title: "Shopify admin (sandbox)" }];

/**
 * GET /sandbox/shopify/admin/:store[?user=&sid=]: the sandbox's Shopify
 * admin. It frames the app at APP_URL/app with the signed parameters and a
 * fresh session token, and answers App Bridge's requests for new tokens.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  requireSandbox("shopify");
  const search = new URL(request.url).searchParams;
  const frame = await sandboxAdminFrame(params.store ?? "", { userId: search.get("user"), sid: search.get("sid") });
  if (!frame) throw json({ error: "not_found", message: "Not a sandbox store name." }, { status: 404 });
  return json(frame, { headers: { "Cache-Control": "no-store" } });
}

export default function SandboxShopifyAdmin() {
  const { shop, shopName, iframeSrc, appOrigin, tokenUrl } = useLoaderData<typeof loader>();
  const frame = useRef<HTMLIFrameElement>(null);

  useEffect(() => {
    // App Bridge in the frame asks for tokens; only the app's origin gets an answer.
    async function onMessage(event: MessageEvent) {
      const target = frame.current?.contentWindow;
      const data = event.data as { type?: string; id?: string; url?: string } | null;
      if (!target || event.source !== target || event.origin !== appOrigin || !data) return;
      if (data.type === "sandbox-app-bridge:request-id-token") {
        const reply = await fetch(tokenUrl, { cache: "no-store" })
          .then((r) => r.json() as Promise<{ token?: string }>)
          .catch(() => ({ token: undefined }));
        target.postMessage({ type: "sandbox-app-bridge:id-token", id: data.id, token: reply.token }, appOrigin);
      } else if (data.type === "sandbox-app-bridge:navigate" && data.url) {
        const url = new URL(data.url);
        if (url.origin === appOrigin || url.origin === window.location.origin) window.location.assign(url.toString());
      }
    }
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, [appOrigin, tokenUrl]);

  return (
    <div style={{ display: "flex", flexDirection: "column", height: "100vh", background: "#1a1a1a" }}>
      <header style={{ display: "flex", gap: 16, alignItems: "center", padding: "8px 16px", color: "#e3e3e3", font: "14px system-ui" }}>
        <strong>Shopify admin (sandbox)</strong>
        <span>
          {shopName} · {shop}
        </span>
        <Link to="/sandbox/shopify" style={{ color: "#9bc5ff", marginLeft: "auto" }}>
          Sandbox home
        </Link>
      </header>
      <iframe
        ref={frame}
        title="App"
        src={iframeSrc}
        style={{ flex: 1, border: 0, background: "#f1f1f1", borderRadius: "12px 12px 0 0" }}
      />
    </div>
  );
}
