import { Toast } from "@shopify/polaris";
import { useEffect, useRef } from "react";
import type { ShopifyGlobal } from "@shopify/app-bridge-types";
import { useAppFrame } from "~/hooks/useAppFrame";

function appBridgeToast(): ShopifyGlobal["toast"] | null {
  if (typeof window === "undefined") return null;
  // Typed by @shopify/app-bridge-types; present only inside the Shopify admin.
  const toast = (window.shopify as ShopifyGlobal | undefined)?.toast;
  return typeof toast?.show === "function" ? toast : null;
}

/**
 * A short confirmation after an action. In the Shopify admin it is the
 * admin's own toast (App Bridge's `shopify.toast`), as Shopify asks embedded
 * apps to do; elsewhere Polaris's Toast.
 */
export function AppToast({ content, onDismiss }: { content: string; onDismiss: () => void }) {
  const platform = useAppFrame()?.platform;
  const inShopify = platform === "shopify" && appBridgeToast() !== null;
  const shown = useRef(false);

  useEffect(() => {
    if (!inShopify || shown.current) return;
    shown.current = true;
    appBridgeToast()?.show(content);
    // The admin's toast dismisses itself.
    onDismiss();
  }, [inShopify, content, onDismiss]);

  useEffect(() => {
    if (inShopify) return;
    // Polaris 13's Toast renders its close button without an accessible name
    // (axe: button-name, critical). Name it once the Frame has rendered it.
    const label = () => {
      for (const button of document.querySelectorAll(".Polaris-Frame-Toast__CloseButton:not([aria-label])")) {
        button.setAttribute("aria-label", "Dismiss notification");
      }
    };
    label();
    const observer = new MutationObserver(label);
    observer.observe(document.body, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, [inShopify]);

  return inShopify ? null : <Toast content={content} onDismiss={onDismiss} />;
}
