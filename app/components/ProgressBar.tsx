import { useNavigation } from "@remix-run/react";
import { useEffect, useState } from "react";

/**
 * A thin bar at the top while the next page loads: a Remix navigation, or a
 * whole-document load the admin starts in the frame (opening the app again,
 * a reload), during which the browser keeps showing the old page. The entry
 * waits at most about 8 s for the platform (commerce7.server.ts), so the bar
 * runs over 8 s.
 */
export function ProgressBar() {
  const navigation = useNavigation();
  const [leaving, setLeaving] = useState(false);
  useEffect(() => {
    // Fired when the frame starts loading another document; never prevents it.
    const onLeave = () => setLeaving(true);
    // Back from the browser's cache: nothing is loading any more.
    const onShow = () => setLeaving(false);
    window.addEventListener("beforeunload", onLeave);
    window.addEventListener("pageshow", onShow);
    return () => {
      window.removeEventListener("beforeunload", onLeave);
      window.removeEventListener("pageshow", onShow);
    };
  }, []);
  if (!leaving && navigation.state !== "loading") return null;
  return <div className="app-progress" role="progressbar" aria-label="Loading the page" />;
}
