/**
 * Accessibility scan with axe-core, injected into the page (the
 * @axe-core/playwright wrapper needs Node 22; the engine itself does not).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import type { Frame, Page } from "playwright-core";

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  /** The offending elements' HTML (shortened), so a failure says where. */
  nodes: string[];
}

/**
 * Wait for the page's finite animations to end: colours are judged as they
 * settle (a toast fading in or out is not a contrast problem), and a
 * screenshot shows what stays on screen.
 */
export async function settled(page: Page | Frame): Promise<void> {
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
}

/** Violations of serious or critical impact on the current page, or in a frame (the app as an admin frames it). */
export async function seriousViolations(page: Page | Frame): Promise<AxeViolation[]> {
  await settled(page);
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    type Result = { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ html: string }> }> };
    const axe = (window as unknown as { axe: { run: (ctx: Document) => Promise<Result> } }).axe;
    const result = await axe.run(document);
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.html.slice(0, 160)) }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}
