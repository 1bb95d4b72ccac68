import { PorticoError } from '../errors';
import { AuthenticationError } from '../identity';
import type { RequestContext } from './context';
import { reloadPrincipal, type Principal } from './principal';

/**
 * The request's caller as the database has them now: once one of its mutations ran (see RequestContext.markStale),
 * read again and kept for the rest of the request. Refused UNAUTHENTICATED, naming why, when they may no longer sign
 * in (their session ended, their user was suspended); the request's log line still names who it started as.
 */
export async function callerAsNow(ctx: RequestContext): Promise<Principal | null> {
  const caller = ctx.principal;
  if (!caller || !ctx.isStale) return caller;
  try {
    ctx.replacePrincipal(await reloadPrincipal(ctx.services.db, ctx.engine, caller, ctx.requestId));
  } catch (error) {
    if (error instanceof AuthenticationError) throw new PorticoError('UNAUTHENTICATED', `an earlier mutation of this request changed the caller's rights: ${error.message}`);
    throw error;
  }
  return ctx.principal;
}
