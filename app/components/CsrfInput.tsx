import { useAppFrame } from "~/hooks/useAppFrame";

/** The session's CSRF token, for every form of the app (checked by requireActionSession). */
export function CsrfInput() {
  const data = useAppFrame();
  return <input type="hidden" name="csrf" value={data?.csrfToken ?? ""} />;
}
