/**
 * Which Commerce7 the app talks to, and with which credentials, by settings.
 */
import { afterEach, describe, expect, it } from "vitest";
import { commerce7Settings } from "~/lib/platforms/commerce7/config.server";
import { SANDBOX_API_PATH } from "~/lib/sandbox/commerce7.server";
import { resetEnv } from "~/lib/env.server";

const KEYS = ["COMMERCE7_APP_ID", "COMMERCE7_APP_SECRET", "COMMERCE7_INSTALL_USER", "COMMERCE7_INSTALL_PASSWORD", "SESSION_SECRET"];
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));

function withEnv(values: Record<string, string>) {
  Object.assign(process.env, values);
  resetEnv();
}

afterEach(() => {
  for (const key of KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  resetEnv();
});

describe("Commerce7 settings", () => {
  it("without Commerce7 credentials outside production: the sandbox, with derived (not hard-coded) credentials", () => {
    const settings = commerce7Settings();
    expect(settings.sandbox).toBe(true);
    expect(settings.apiUrl).toBe(`https://app.test.example${SANDBOX_API_PATH}`);
    expect(settings.scriptUrl).toBe("/sandbox/commerce7/commerce7.js");
    const install = settings.installCredentials;
    expect(install?.user).toBe("commerce7-sandbox");
    expect(install?.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // derived from SESSION_SECRET: another installation gets other credentials
    withEnv({ SESSION_SECRET: "another-session-secret-0123456789abcdef0123" });
    expect(commerce7Settings().installCredentials?.password).not.toBe(install?.password);
    expect(commerce7Settings().appCredentials?.password).not.toBe(settings.appCredentials?.password);
  });

  it("configured install credentials win over the sandbox's", () => {
    withEnv({ COMMERCE7_INSTALL_USER: "dev-center-user", COMMERCE7_INSTALL_PASSWORD: "dev-center-password-0123" });
    expect(commerce7Settings().installCredentials).toEqual({ user: "dev-center-user", password: "dev-center-password-0123" });
  });

  it("with the app's credentials: the real API, the real script, no sandbox", () => {
    withEnv({ COMMERCE7_APP_ID: "app-id", COMMERCE7_APP_SECRET: "app-secret" });
    const settings = commerce7Settings();
    expect(settings).toMatchObject({
      sandbox: false,
      apiUrl: "https://api.commerce7.com/v1",
      appCredentials: { user: "app-id", password: "app-secret" },
      installCredentials: null,
      scriptUrl: "https://dev-center.platform.commerce7.com/v2/commerce7.js",
    });
  });
});
