import { useCallback, useState } from "react";

/**
 * A toast for the latest action result: shown when a new result arrives,
 * hidden once dismissed (keyed on the result object, so no effect needed).
 */
export function useActionToast<T extends object>(result: T | undefined, message: (r: T) => string | null) {
  const [dismissed, setDismissed] = useState<T | undefined>(undefined);
  const text = result && result !== dismissed ? message(result) : null;
  const dismiss = useCallback(() => setDismissed(result), [result]);
  return { text, dismiss };
}
