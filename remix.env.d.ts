/// <reference types="@remix-run/dev" />
/// <reference types="@remix-run/node" />
// App Bridge's globals (`shopify.idToken`, `shopify.toast`…) and web components
// (`<ui-nav-menu>`), as Shopify publishes them. At run time `shopify` exists only
// inside the Shopify admin: code checks for it before use.
/// <reference types="@shopify/app-bridge-types" />
