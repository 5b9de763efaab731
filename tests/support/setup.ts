import { afterEach } from "vitest";
import { resetClock } from "~/lib/clock.server";

afterEach(() => {
  resetClock();
});
