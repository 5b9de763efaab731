/**
 * Database errors as values the HTTP layer can map: "unavailable" becomes a
 * 503 with a clear message on every backend; anything else is a typed error
 * carrying the SQLSTATE (or PostgREST) code.
 */
export class DatabaseUnavailableError extends Error {
  readonly status = 503;
  constructor(message = "The database is unavailable", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseUnavailableError";
  }
}

export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly details?: string | null,
    readonly hint?: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DatabaseError";
  }
}

/**
 * A request's value that PostgreSQL cannot store (NUL, an unpaired surrogate)
 * was about to be sent: refused before the call, and a 400 to the client
 * (withDatabase), since the input is at fault, not the database.
 */
export class UnstorableTextError extends Error {
  readonly status = 400;
  constructor(
    readonly fn: string,
    readonly argument: string,
  ) {
    super(`${fn}: argument ${argument} holds text PostgreSQL cannot store (NUL or an unpaired surrogate)`);
    this.name = "UnstorableTextError";
  }
}

/** Node network error codes and SQLSTATEs that mean "could not talk to the database". */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  // query_canceled: a statement timeout (Supabase sets one per API role; PostgREST
  // answers it with HTTP 500) or a cancel. The database is too slow to answer,
  // which is a 503 to users, like the client-side timeout, never a 500.
  "57014",
]);

export function isUnavailableCode(code: unknown): boolean {
  return typeof code === "string" && (UNAVAILABLE_CODES.has(code) || code.startsWith("08"));
}

/** Turn whatever a driver threw into one of the two error types above. */
export function toDatabaseError(error: unknown): DatabaseError | DatabaseUnavailableError {
  if (error instanceof DatabaseError || error instanceof DatabaseUnavailableError) return error;
  const e = error as { code?: unknown; message?: unknown; detail?: unknown; hint?: unknown; errno?: unknown };
  if (isUnavailableCode(e?.code) || isUnavailableCode(e?.errno)) {
    return new DatabaseUnavailableError(undefined, { cause: error });
  }
  return new DatabaseError(
    typeof e?.message === "string" ? e.message : "database error",
    typeof e?.code === "string" ? e.code : undefined,
    typeof e?.detail === "string" ? e.detail : null,
    typeof e?.hint === "string" ? e.hint : null,
    { cause: error },
  );
}

/**
 * Bound a database call in time: a dead network must become a 503 quickly,
 * not a request that hangs until the TCP stack gives up.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Timers run before I/O in each turn of the event loop: on a busy process
      // the answer may already be waiting in the socket. setImmediate runs after
      // the I/O phase, so only a call that really got no answer times out.
      setImmediate(() => {
        onTimeout?.();
        reject(new DatabaseUnavailableError(`The database did not answer within ${ms} ms`));
      });
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
