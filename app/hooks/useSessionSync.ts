import { useRevalidator } from "@remix-run/react";
import { useCallback, useEffect } from "react";

/**
 * Keeps every tab of this browser honest about the session (seed 002):
 * - a logout in one tab is broadcast; the others show the logged-out page at
 *   once, without waiting for their next request;
 * - a tab that regains focus or becomes visible revalidates, so a session
 *   that ended meanwhile (expired, revoked elsewhere) is shown as ended.
 */
const CHANNEL = "app-session";
type SessionMessage = { type: "logged_out"; reasonUrl: string };

export function useSessionSync(): { announceLogout: (reasonUrl: string) => void } {
  const revalidator = useRevalidator();

  useEffect(() => {
    if (typeof BroadcastChannel === "undefined") return;
    const channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = (event: MessageEvent<SessionMessage>) => {
      if (event.data?.type === "logged_out") window.location.assign(event.data.reasonUrl);
    };
    return () => channel.close();
  }, []);

  useEffect(() => {
    let last = Date.now();
    const revalidate = () => {
      // Focus and visibility often fire together; one check is enough.
      if (document.visibilityState !== "visible" || Date.now() - last < 1000) return;
      last = Date.now();
      if (revalidator.state === "idle") revalidator.revalidate();
    };
    window.addEventListener("focus", revalidate);
    document.addEventListener("visibilitychange", revalidate);
    return () => {
      window.removeEventListener("focus", revalidate);
      document.removeEventListener("visibilitychange", revalidate);
    };
  }, [revalidator]);

  const announceLogout = useCallback((reasonUrl: string) => {
    if (typeof BroadcastChannel === "undefined") return;
    const channel = new BroadcastChannel(CHANNEL);
    channel.postMessage({ type: "logged_out", reasonUrl } satisfies SessionMessage);
    channel.close();
  }, []);

  return { announceLogout };
}
