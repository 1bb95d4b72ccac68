import { PorticoError } from '../errors';
import { AuthenticationError } from '../identity';
import { sessionEnded, type RequestContext } from './context';
import { reloadPrincipal, type Principal } from './principal';

/**
 * The request's caller as the database has them now: once one of its mutations ran (see RequestContext.markStale),
 * read again and kept for the rest of the request. Refused UNAUTHENTICATED, naming why, when they may no longer sign
 * in (their user was suspended), or FORBIDDEN when it was their impersonation session that ended; the request's log
 * line still names who it started as.
 */
export async function callerAsNow(ctx: RequestContext): Promise<Principal | null> {
  const caller = ctx.principal;
  if (!caller || !ctx.isStale) return caller;
  try {
    ctx.replacePrincipal(await reloadPrincipal(ctx.services.db, ctx.engine, caller, ctx.requestId));
  } catch (error) {
    // A session ended by this request (or its grant revoked meanwhile) says so, as a write under it would.
    if (error instanceof AuthenticationError && caller.facts.impersonation) throw sessionEnded();
    if (error instanceof AuthenticationError) throw new PorticoError('UNAUTHENTICATED', `an earlier mutation of this request changed the caller's rights: ${error.message}`);
    throw error;
  }
  return ctx.principal;
}
