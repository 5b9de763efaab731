/**
 * The admin's theme (Commerce7's `adminUITheme`, kept on the app session) as
 * Polaris 13 knows it: AppProvider's `theme` is "light" or
 * "dark-experimental" (Polaris 13 has no stable dark theme), applied as the
 * `p-theme-<name>` class on <html>. Rendering that class on the server too
 * avoids a light flash before hydration.
 */
export type AppTheme = "light" | "dark";

export function polarisTheme(theme: AppTheme | null | undefined): "light" | "dark-experimental" {
  return theme === "dark" ? "dark-experimental" : "light";
}

export function themeClassName(theme: AppTheme | null | undefined): string {
  return `p-theme-${polarisTheme(theme)}`;
}
