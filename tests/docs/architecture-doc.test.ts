/**
 * docs/ARCHITECTURE.md stays true: every folder and file under app/ or
 * supabase/ it names exists, and nothing below the routes imports a route.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const doc = fs.readFileSync(path.join(ROOT, "docs/ARCHITECTURE.md"), "utf8");

function filesUnder(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(`${dir}/${e.name}`) : [`${dir}/${e.name}`],
  );
}

describe("docs/ARCHITECTURE.md", () => {
  it("every folder and file it names exists", () => {
    const named = [...doc.matchAll(/(?:app|supabase)\/[\w./-]*[\w/]/g)].map((m) => m[0]);
    expect(named.length).toBeGreaterThan(10);
    const missing = [...new Set(named)].filter((p) => !p.includes("NAME") && !fs.existsSync(path.join(ROOT, p)));
    expect(missing).toEqual([]);
  });

  it("nothing below the routes imports a route", () => {
    const below = ["app/lib", "app/components", "app/hooks"].flatMap(filesUnder).filter((f) => /\.tsx?$/.test(f));
    const offenders = below.filter((f) => /from\s+["'](?:~\/routes\/|(?:\.\.\/)+routes\/)/.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
