/**
 * The sandbox's stand-in for Shopify's App Bridge script
 * (https://cdn.shopify.com/shopifycloud/app-bridge.js is unreachable without
 * the internet, and only works inside the real admin). It does what the app
 * relies on, the way the real one does:
 *   - `shopify.idToken()`: a fresh session token, asked of the admin (the
 *     sandbox admin page, the parent window) by postMessage, cached until
 *     shortly before it expires;
 *   - `fetch` patched to add `Authorization: Bearer <session token>` to
 *     same-origin requests, retrying once with a fresh token when the answer
 *     is 401 with `X-Shopify-Retry-Invalid-Session-Request: 1`;
 *   - on a page whose URL has `shopify-reload` (the bounce page): get a fresh
 *     token and go there with it as `id_token` (same origin only);
 *   - `window.open(url, "_top")`: ask the admin to navigate the top window
 *     (leaving the iframe, e.g. to start OAuth);
 *   - `<ui-nav-menu>`: the element shows nothing in the app; its links (the
 *     first, rel="home", names the home route) and the app's current path
 *     are reported to the admin, which draws them in its sidebar; a click
 *     there comes back as a click on the matching link, so the app's router
 *     (Remix <Link>) navigates in place, as with the real App Bridge;
 *   - `shopify.toast.show(message)`: the admin shows the toast.
 * Served by /sandbox/shopify/app-bridge.js (404 outside the sandbox). Plain
 * ES2017 in a string: it runs in the browser as written.
 */
export const SANDBOX_APP_BRIDGE_SCRIPT = `/* Shopify App Bridge stand-in (sandbox only) */
(function () {
  "use strict";
  var script = document.currentScript;
  var meta = document.querySelector('meta[name="shopify-api-key"]');
  var apiKey = (script && script.getAttribute("data-api-key")) || (meta && meta.getAttribute("content")) || "";
  var params = new URLSearchParams(window.location.search);
  var embedded = window.parent !== window;
  var cached = null;
  var pending = null;
  var sequence = 0;

  function expiryOf(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part)).exp * 1000;
    } catch (e) {
      return 0;
    }
  }

  function askAdmin() {
    return new Promise(function (resolve, reject) {
      if (!embedded) return reject(new Error("App Bridge (sandbox): the app is not inside the admin"));
      var id = "id-token-" + ++sequence;
      var timer = setTimeout(function () {
        window.removeEventListener("message", onMessage);
        reject(new Error("App Bridge (sandbox): the admin did not answer"));
      }, 5000);
      function onMessage(event) {
        var data = event.data || {};
        if (event.source !== window.parent || data.type !== "sandbox-app-bridge:id-token" || data.id !== id) return;
        clearTimeout(timer);
        window.removeEventListener("message", onMessage);
        if (data.token) resolve(data.token);
        else reject(new Error(data.error || "App Bridge (sandbox): no token"));
      }
      window.addEventListener("message", onMessage);
      window.parent.postMessage({ type: "sandbox-app-bridge:request-id-token", id: id }, "*");
    });
  }

  function idToken() {
    if (cached && cached.expiresAt - Date.now() > 10000) return Promise.resolve(cached.token);
    if (!pending) {
      pending = askAdmin().then(
        function (token) {
          cached = { token: token, expiresAt: expiryOf(token) };
          pending = null;
          return token;
        },
        function (error) {
          pending = null;
          throw error;
        },
      );
    }
    return pending;
  }

  var originalFetch = window.fetch.bind(window);
  function withToken(request, retried) {
    var spare = retried ? null : request.clone();
    return idToken()
      .then(
        function (token) {
          var headers = new Headers(request.headers);
          headers.set("Authorization", "Bearer " + token);
          return originalFetch(new Request(request, { headers: headers }));
        },
        function () {
          return originalFetch(request);
        },
      )
      .then(function (response) {
        if (spare && response.status === 401 && response.headers.get("X-Shopify-Retry-Invalid-Session-Request") === "1") {
          cached = null;
          return withToken(spare, true);
        }
        return response;
      });
  }
  window.fetch = function (input, init) {
    var request = new Request(input, init);
    var sameOrigin = new URL(request.url, window.location.href).origin === window.location.origin;
    if (!embedded || !sameOrigin || request.headers.has("Authorization")) return originalFetch(request);
    return withToken(request, false);
  };

  var originalOpen = window.open.bind(window);
  window.open = function (url, target, features) {
    if (embedded && (target === "_top" || target === "_parent")) {
      var href = new URL(String(url), window.location.href).toString();
      window.parent.postMessage({ type: "sandbox-app-bridge:navigate", url: href }, "*");
      return null;
    }
    return originalOpen(url, target, features);
  };

  var reload = params.get("shopify-reload");
  if (reload) {
    idToken().then(function (token) {
      var target = new URL(reload, window.location.href);
      if (target.origin !== window.location.origin) return;
      target.searchParams.set("id_token", token);
      window.location.replace(target.toString());
    });
  }

  // <ui-nav-menu>: a web component that shows nothing in the app (a shadow
  // root without a slot); the admin draws its links. Nothing is added to the
  // document itself, which React hydrates.
  if (window.customElements && !window.customElements.get("ui-nav-menu")) {
    window.customElements.define(
      "ui-nav-menu",
      class extends HTMLElement {
        constructor() {
          super();
          this.attachShadow({ mode: "open" });
        }
      },
    );
  }

  function menuLinks() {
    var menu = document.querySelector("ui-nav-menu");
    return menu ? Array.prototype.slice.call(menu.querySelectorAll("a")) : [];
  }
  var lastReport = null;
  function reportNavigation(force) {
    if (!embedded) return;
    var items = menuLinks().map(function (a) {
      return { href: a.getAttribute("href") || "", label: (a.textContent || "").trim(), home: a.getAttribute("rel") === "home" };
    });
    var report = JSON.stringify({ items: items, path: window.location.pathname });
    if (report === lastReport && force !== true) return;
    lastReport = report;
    window.parent.postMessage({ type: "sandbox-app-bridge:navigation", items: items, path: window.location.pathname }, "*");
  }
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    history[name] = function () {
      var result = original.apply(this, arguments);
      reportNavigation();
      return result;
    };
  });
  window.addEventListener("popstate", function () {
    reportNavigation();
  });
  function watchMenu() {
    reportNavigation();
    new MutationObserver(function () {
      reportNavigation();
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  }
  if (document.body) watchMenu();
  else document.addEventListener("DOMContentLoaded", watchMenu);
  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (event.source !== window.parent) return;
    // The admin (re)started listening: tell it again.
    if (data.type === "sandbox-app-bridge:nav-request") return reportNavigation(true);
    if (data.type !== "sandbox-app-bridge:nav-click") return;
    var link = menuLinks().filter(function (a) { return a.getAttribute("href") === data.href; })[0];
    if (link) link.click();
  });

  window.shopify = {
    config: { apiKey: apiKey, shop: params.get("shop"), host: params.get("host"), locale: params.get("locale") || "en" },
    environment: { embedded: embedded, mobile: false, pos: false },
    idToken: idToken,
    // The admin shows the toast in its own UI, outside the app's frame.
    toast: {
      show: function (message, options) {
        var toast = { type: "sandbox-app-bridge:toast", message: String(message), isError: Boolean(options && options.isError) };
        if (embedded) window.parent.postMessage(toast, "*");
        else console.info("[App Bridge toast]", toast.message);
      },
    },
  };
})();
`;
