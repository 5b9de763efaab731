import { useRevalidator } from "@remix-run/react";
import { useCallback, useEffect, useRef } from "react";
import { endTabSession } from "~/lib/sessions/session-token.client";

/**
 * Keeps every tab of this browser honest about the session (seed 002):
 * - a logout in one tab is broadcast; the others show the logged-out page at
 *   once, without waiting for their next request (a tab that refused the
 *   cookie, and so holds its own session token, ends that session first);
 * - a tab that regains focus or becomes visible revalidates, so a session
 *   that ended meanwhile (expired, revoked elsewhere) is shown as ended.
 */
const CHANNEL = "app-session";
type SessionMessage = { type: "logged_out"; reasonUrl: string };

export function useSessionSync(): { announceLogout: (reasonUrl: string) => void } {
  const revalidator = useRevalidator();
  // One channel object per tab, for listening AND announcing: a channel never
  // hears its own messages, so the tab that logs out is not told it did.
  const channelRef = useRef<BroadcastChannel | null>(null);

  useEffect(() => {
    if (typeof BroadcastChannel === "undefined") return;
    const channel = new BroadcastChannel(CHANNEL);
    channelRef.current = channel;
    channel.onmessage = (event: MessageEvent<SessionMessage>) => {
      if (event.data?.type !== "logged_out") return;
      const { reasonUrl } = event.data;
      // A tab without cookies holds a session of its own: end it too, then show the page.
      void endTabSession().finally(() => window.location.assign(reasonUrl));
    };
    return () => {
      channelRef.current = null;
      channel.close();
    };
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
    channelRef.current?.postMessage({ type: "logged_out", reasonUrl } satisfies SessionMessage);
  }, []);

  return { announceLogout };
}
