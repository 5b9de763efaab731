/**
 * App Bridge's web components the app renders (the Shopify admin reads them;
 * https://shopify.dev/docs/api/app-bridge-library/web-components/ui-nav-menu).
 */
import type { DetailedHTMLProps, HTMLAttributes } from "react";

declare module "react" {
  namespace JSX {
    interface IntrinsicElements {
      "ui-nav-menu": DetailedHTMLProps<HTMLAttributes<HTMLElement>, HTMLElement>;
    }
  }
}
