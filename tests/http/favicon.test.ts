/**
 * The favicon every browser asks for: served from public/ (the page links
 * the SVG; /favicon.ico answers browsers that ask regardless), so the
 * development log no longer prints "No routes matched /favicon.ico" per page.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startApp, type RunningApp } from "../support/app-server";

let app: RunningApp;
beforeAll(async () => {
  app = await startApp({});
});
afterAll(async () => {
  await app?.stop();
});

it("GET /favicon.ico and the linked /favicon.svg are images, and every page links the icon", async () => {
  const ico = await fetch(`${app.url}/favicon.ico`);
  expect(ico.status).toBe(200);
  expect(ico.headers.get("content-type")).toMatch(/image\/(x-icon|vnd\.microsoft\.icon)/);
  const svg = await fetch(`${app.url}/favicon.svg`);
  expect(svg.status).toBe(200);
  expect(svg.headers.get("content-type")).toContain("image/svg+xml");
  const page = await (await fetch(`${app.url}/?reason=expired`)).text();
  expect(page).toMatch(/<link rel="icon" href="\/favicon.svg" type="image\/svg\+xml"\/?>/);
});
