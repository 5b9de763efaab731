/**
 * Who the staff member is: Shopify's session token names a user by id only
 * (`sub`). With SHOPIFY_ONLINE_TOKENS (default on), a NEW app session's entry
 * exchanges its session token for an online access token (token exchange),
 * whose reply carries `associated_user` (name, email). The token is stored
 * encrypted as that user's platform session (`<shop>_<user id>`, the
 * library's id) and reused while it lives, so a staff member's second browser
 * costs no call. Never per request: only the entry that creates an app
 * session calls this. A failure costs the name, never the entry.
 */
import { RequestedTokenType, type Session } from "@shopify/shopify-api";
import { now } from "~/lib/clock.server";
import { env } from "~/lib/env.server";
import { logger } from "~/lib/log.server";
import { shopifySessionStorage } from "~/lib/platforms/platform-sessions.server";
import { shopify } from "./config.server";
import { platformFailure, singleFlight } from "./offline-access.server";

export interface StaffMember {
  name: string | null;
  email: string | null;
}

/** A stored online token is reused while it has at least this long to live. */
const REUSE_MARGIN_MS = 5 * 60_000;

function staffMemberOf(session: Session): StaffMember | null {
  const user = session.onlineAccessInfo?.associated_user;
  if (!user) return null;
  const name = [user.first_name, user.last_name].filter((part) => typeof part === "string" && part.trim()).join(" ").trim();
  return { name: name ? name.slice(0, 255) : null, email: typeof user.email === "string" && user.email ? user.email.slice(0, 255) : null };
}

function usable(session: Session | undefined): session is Session {
  return Boolean(session?.accessToken && session.expires && session.expires.getTime() - REUSE_MARGIN_MS > now().getTime());
}

/**
 * The staff member behind `sessionToken` (already verified), from their
 * online access token: the stored one while it lives, else one obtained by
 * token exchange and stored. Null when online tokens are off or Shopify did
 * not give one (logged; the entry goes on without a name).
 */
export async function staffMemberForNewSession(shop: string, userId: string, sessionToken: string): Promise<StaffMember | null> {
  if (!env().SHOPIFY_ONLINE_TOKENS) return null;
  // Parallel first entries of one staff member (several tabs) share one exchange.
  return singleFlight(`online:${shop}:${userId}`, () => obtainStaffMember(shop, userId, sessionToken));
}

async function obtainStaffMember(shop: string, userId: string, sessionToken: string): Promise<StaffMember | null> {
  try {
    const stored = await shopifySessionStorage.loadSession(shopify().session.getJwtSessionId(shop, userId));
    if (usable(stored)) return staffMemberOf(stored);
    let session: Session;
    try {
      ({ session } = await shopify().auth.tokenExchange({
        shop,
        sessionToken,
        requestedTokenType: RequestedTokenType.OnlineAccessToken,
      }));
    } catch (error) {
      throw platformFailure(error, "the online token exchange");
    }
    await shopifySessionStorage.storeSession(session);
    return staffMemberOf(session);
  } catch (error) {
    logger.warn(
      { event: "shopify.online_token_failed", shop, reason: error instanceof Error ? error.message : "unknown failure" },
      "could not obtain the staff member's online token; the session goes on without their name",
    );
    return null;
  }
}
