/**
 * Text PostgreSQL cannot store: it refuses NUL in `text` and `jsonb`, and an
 * unpaired UTF-16 surrogate cannot be encoded as UTF-8 at all (jsonb refuses
 * the "\ud800" escape; drivers would silently turn it into U+FFFD). Such a
 * value from a request must be a 400 where it enters, never a 500 where it
 * reaches SQL: request bodies are checked on reading
 * (app/lib/request-body.server.ts) and every SQL function argument is checked
 * again before it is sent (functionCallSql, supabase.server.ts).
 */

// eslint-disable-next-line no-control-regex -- NUL is exactly what is looked for
const UNSTORABLE = /\u0000|\p{Cs}/u;
// eslint-disable-next-line no-control-regex -- as above
const UNSTORABLE_ALL = /\u0000|\p{Cs}/gu;

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/**
 * The path (`user.firstName`, `items.3`; "" for the value itself) of the
 * first string or object key in `value` that PostgreSQL cannot store, or
 * null when there is none. Walks with an explicit stack: a value nested
 * thousands deep cannot overflow the call stack.
 */
export function unstorableTextPath(value: unknown): string | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: "" }];
  const seen = new Set<object>();
  const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));
  while (stack.length > 0) {
    const { value: current, path } = stack.pop() as { value: unknown; path: string };
    if (typeof current === "string") {
      if (!isStorableText(current)) return path;
    } else if (current !== null && typeof current === "object" && !(current instanceof Date) && !seen.has(current)) {
      seen.add(current);
      if (Array.isArray(current)) {
        current.forEach((item, index) => stack.push({ value: item, path: join(path, index) }));
      } else {
        for (const [key, item] of Object.entries(current)) {
          if (!isStorableText(key)) return join(path, key.replace(UNSTORABLE_ALL, "?"));
          stack.push({ value: item, path: join(path, key) });
        }
      }
    }
  }
  return null;
}
