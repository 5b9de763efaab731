import { useRouteLoaderData } from "@remix-run/react";
import type { AppTheme } from "~/lib/theme";

/**
 * What the app's layout route (routes/app.tsx) gives every page inside it.
 * Declared here, below the routes, so components read it without importing a
 * route (the route's loader is typed against it instead).
 */
export interface AppFrameData {
  platform: "shopify" | "commerce7";
  theme: AppTheme;
  csrfToken: string;
  loggedOutUrl: string;
  platformScript: string | null;
  handoff: string | null;
}

/** The layout's data, or undefined outside /app. */
export function useAppFrame(): AppFrameData | undefined {
  return useRouteLoaderData<AppFrameData>("routes/app");
}
