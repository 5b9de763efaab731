import { afterEach } from "vitest";
import { resetClock } from "~/lib/clock.server";
import { plugSandboxIfAllowed } from "~/lib/server-lifecycle.server";

// In-process tests run as development does: the composition root plugs in the
// platform sandbox (no platform credentials are configured in tests).
await plugSandboxIfAllowed();

afterEach(() => {
  resetClock();
});
