/**
 * The Commerce7 API client: every call the app makes to Commerce7 goes
 * through `commerce7Get` (one resource) or `commerce7Pages` (a cursor-paginated
 * list), with the same rules:
 *
 *   - a timeout on every attempt, reply body included (COMMERCE7_API_TIMEOUT_MS);
 *   - 3 attempts: network errors, timeouts and 5xx are retried after an
 *     exponential backoff with jitter; a 429 is retried after the wait its
 *     Retry-After asks for, if that is within COMMERCE7_MAX_RETRY_AFTER_SECONDS
 *     (otherwise the caller is told at once, with the wait);
 *   - replies are validated with zod; anything unexpected is a
 *     Commerce7Error, never a crash further down.
 *
 * Retries and timeouts come from cockatiel (3.x: Node >= 16). Its backoff is
 * a plug-in, so ours picks Retry-After when Commerce7 gives one and passes
 * every wait through the app clock's plannedWait (tests move time instead of
 * waiting). The HTTP call itself is a `Transport` (fetch by default): in
 * sandbox mode config.server.ts hands in the sandbox's handler, so calls to
 * the sandbox never leave the process.
 */
import {
  ExponentialBackoff,
  handleAll,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
} from "cockatiel";
import { z } from "zod";
import { now, plannedWait } from "~/lib/clock.server";
import { logger } from "~/lib/log.server";

export type Transport = (request: Request) => Promise<Response>;

export interface Commerce7Connection {
  /** e.g. https://api.commerce7.com/v1 (no trailing slash) */
  apiUrl: string;
  tenantId: string;
  /** The Authorization header: `Basic …` for the app's own calls, the user's account token at the entry. */
  authorization: string;
  transport: Transport;
  timeoutMs: number;
  maxRetryAfterMs: number;
  /** Defaults to 3. */
  attempts?: number;
  /** The caller went away (e.g. the browser closed the page): stop, no more attempts. */
  signal?: AbortSignal;
}

export type Commerce7FailureKind =
  /** 401/403: the credentials (the app's, or the user's account token) are refused. */
  | "unauthorized"
  /** 429 that we could not wait out: `retryAfterSeconds` says how long Commerce7 asked for. */
  | "rate_limited"
  /** network errors, timeouts, 5xx, after every attempt. */
  | "unavailable"
  /** any other status, or a reply that is not what the API documents. */
  | "bad_response";

export class Commerce7Error extends Error {
  constructor(
    readonly kind: Commerce7FailureKind,
    message: string,
    readonly status: number | null = null,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = "Commerce7Error";
  }
}

/** What one attempt produced: the reply, read in full inside the attempt's timeout. */
interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

const DEFAULT_ATTEMPTS = 3;
const BACKOFF = { initialDelay: 200, maxDelay: 2_000 };

/** The wait a reply's Retry-After asks for, in ms (seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterMs(headers: Headers): number | null {
  const value = headers.get("retry-after")?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now().getTime());
}

function isReply(value: unknown): value is Reply {
  return typeof value === "object" && value !== null && "status" in value && "headers" in value;
}

function retryable(reply: Reply, maxRetryAfterMs: number): boolean {
  if (reply.status >= 500) return true;
  if (reply.status !== 429) return false;
  const told = retryAfterMs(reply.headers);
  return told === null || told <= maxRetryAfterMs;
}

/**
 * Exponential backoff with jitter (cockatiel's decorrelated jitter), except
 * after a 429 that says how long to wait: then exactly that. Every wait goes
 * through plannedWait, so under virtual time it moves the clock instead.
 */
function backoffAfter(
  exponential: IBackoffFactory<unknown>,
  context: IRetryBackoffContext<unknown>,
): IBackoff<IRetryBackoffContext<unknown>> {
  const nextExponential = exponential.next(context);
  const result = context.result;
  const told = "value" in result && isReply(result.value) ? retryAfterMs(result.value.headers) : null;
  return {
    duration: plannedWait(told ?? nextExponential.duration),
    next: (following) => backoffAfter(nextExponential, following),
  };
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}

/** One request with timeout and retries; resolves to the last reply, or throws Commerce7Error("unavailable"). */
async function send(connection: Commerce7Connection, url: string): Promise<Reply> {
  const attempts = connection.attempts ?? DEFAULT_ATTEMPTS;
  const retryPolicy = retry(
    handleAll.orWhenResult((r) => isReply(r) && retryable(r, connection.maxRetryAfterMs)),
    {
      maxAttempts: attempts - 1,
      backoff: { next: (context) => backoffAfter(new ExponentialBackoff(BACKOFF), context) },
    },
  );
  retryPolicy.onRetry((event) => {
    const reason = "error" in event ? (event.error as Error).name : `status ${(event.value as Reply).status}`;
    logger.warn(
      { event: "commerce7.retry", path: pathOf(url), tenantId: connection.tenantId, attempt: event.attempt, reason, delayMs: event.delay },
      "Commerce7 call failed; retrying",
    );
  });
  const perAttempt = timeout(connection.timeoutMs, TimeoutStrategy.Aggressive);

  try {
    return await wrap(retryPolicy, perAttempt).execute(async ({ signal }) => {
      const response = await connection.transport(
        new Request(url, {
          headers: {
            Accept: "application/json",
            Authorization: connection.authorization,
            tenant: connection.tenantId,
          },
          signal,
        }),
      );
      return { status: response.status, headers: response.headers, text: await response.text() } satisfies Reply;
    }, connection.signal);
  } catch (error) {
    logger.warn(
      { event: "commerce7.unavailable", path: pathOf(url), tenantId: connection.tenantId, reason: (error as Error).name },
      "Commerce7 did not answer",
    );
    throw new Commerce7Error("unavailable", `Commerce7 did not answer after ${attempts} attempts`);
  }
}

/** Map a final reply to data or a Commerce7Error. */
function interpret<S extends z.ZodType>(reply: Reply, schema: S, url: string): z.output<S> {
  const { status } = reply;
  if (status === 401 || status === 403) {
    throw new Commerce7Error("unauthorized", `Commerce7 refused the credentials (${status})`, status);
  }
  if (status === 429) {
    const told = retryAfterMs(reply.headers);
    const seconds = told === null ? null : Math.ceil(told / 1000);
    throw new Commerce7Error("rate_limited", "Commerce7 asked the app to slow down", status, seconds);
  }
  if (status >= 500) throw new Commerce7Error("unavailable", `Commerce7 answered ${status}`, status);
  if (status < 200 || status >= 300) {
    throw new Commerce7Error("bad_response", `Commerce7 answered ${status} to ${pathOf(url)}`, status);
  }
  let body: unknown;
  try {
    body = JSON.parse(reply.text);
  } catch {
    throw new Commerce7Error("bad_response", `Commerce7 sent a reply that is not JSON for ${pathOf(url)}`, status);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    // Paths only: a reply's values may be personal data.
    const fields = parsed.error.issues.map((i) => i.path.join(".") || "(root)").join(", ");
    throw new Commerce7Error("bad_response", `Commerce7's reply to ${pathOf(url)} is not as documented (${fields})`, status);
  }
  return parsed.data;
}

function urlFor(connection: Commerce7Connection, path: string, query: Record<string, string> = {}): string {
  const url = new URL(`${connection.apiUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
}

/** GET one resource, validated with `schema`. Throws Commerce7Error. */
export async function commerce7Get<S extends z.ZodType>(
  connection: Commerce7Connection,
  path: string,
  schema: S,
  query: Record<string, string> = {},
): Promise<z.output<S>> {
  const url = urlFor(connection, path, query);
  return interpret(await send(connection, url), schema, url);
}

/**
 * Every item of a cursor-paginated list, page by page: the first request
 * carries `cursor=start`, each next one the `cursor` of the reply before, and
 * the walk ends at a reply without a cursor. `key` names the array in each
 * page (e.g. "customers").
 */
export async function* commerce7Pages<S extends z.ZodType>(
  connection: Commerce7Connection,
  path: string,
  key: string,
  itemSchema: S,
  query: Record<string, string> = {},
): AsyncGenerator<z.output<S>, void, undefined> {
  const pageSchema = z.object({
    [key]: z.array(itemSchema),
    cursor: z.string().min(1).nullish(),
  });
  const seen = new Set<string>();
  let cursor: string | null = "start";
  while (cursor !== null) {
    const page = (await commerce7Get(connection, path, pageSchema, { ...query, cursor })) as Record<string, unknown> & {
      cursor?: string | null;
    };
    yield* page[key] as z.output<S>[];
    cursor = page.cursor ?? null;
    if (cursor !== null) {
      // A cursor that comes back again would loop forever.
      if (seen.has(cursor)) throw new Commerce7Error("bad_response", `Commerce7 repeated a cursor for ${path}`);
      seen.add(cursor);
    }
  }
}
