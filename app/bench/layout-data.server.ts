// Benchmark-only: what /app's layout loader returns for a Commerce7 session (the commerce7.js
// script included), so every comparison route renders exactly the page the session route does.
import { commerce7ScriptUrl } from "~/lib/platforms/commerce7.server";
import { layoutData } from "./fixtures";

export function benchLayoutData() {
  return { ...layoutData, platformScript: commerce7ScriptUrl(), handoff: null };
}
