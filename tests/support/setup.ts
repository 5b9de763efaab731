import { afterEach, beforeAll } from "vitest";
import { resetClock } from "~/lib/clock.server";

// In-process tests run as development does: the composition root plugs in the
// platform sandbox (no platform credentials are configured in tests). In
// beforeAll, after the test file's own imports, so a file's vi.mock applies to
// the modules the sandbox loads too.
beforeAll(async () => {
  const { plugSandboxIfAllowed } = await import("~/lib/server-lifecycle.server");
  await plugSandboxIfAllowed();
});

afterEach(() => {
  resetClock();
});
