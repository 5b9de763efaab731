import { RemixBrowser } from "@remix-run/react";
import { startTransition, StrictMode } from "react";
import { hydrateRoot } from "react-dom/client";
import { installSessionTokenFetch } from "~/lib/sessions/session-token.client";

// Before the app runs: its own requests carry this tab's session token where
// the browser refuses the cookie (app/lib/sessions/session-token.client.ts).
installSessionTokenFetch();

startTransition(() => {
  hydrateRoot(
    document,
    <StrictMode>
      <RemixBrowser />
    </StrictMode>,
  );
});
