import { badInput } from '../../errors';
import { Field, ID, ObjectType } from 'type-graphql';
import { Authenticated } from '../directives';

@ObjectType({ description: 'Relay page information.' })
@Authenticated()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType({ description: 'A decision: whether a permission is allowed on an account, its scope, and why.' })
@Authenticated()
export class AuthorizationDecision {
  @Field(() => String)
  permission!: string;

  @Field(() => ID)
  accountId!: string;

  @Field(() => Boolean)
  allowed!: boolean;

  @Field(() => String, { nullable: true, description: 'The widest scope held, for scoped permissions (e.g. leads:read: assigned < distributed < all).' })
  scope!: string | null;

  @Field(() => String, { description: 'The role and account that allowed it, or the rule that denied it.' })
  reason!: string;
}

/** Opaque Relay cursors over keyset values. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A cursor over (instant, id): the instant must be one this list wrote, or the page would silently come back empty. */
export function decodeInstantCursor(cursor: string | undefined | null): [string, string] | undefined {
  const values = decodeCursor(cursor, 2);
  const instant = values ? new Date(values[0]) : undefined;
  if (values && !(ISO_INSTANT.test(values[0]) && !Number.isNaN(instant!.getTime()) && instant!.toISOString() === values[0])) throw badInput('after is not a cursor returned by this list', { field: 'after' });
  return values as [string, string] | undefined;
}

export const encodeCursor = (values: readonly string[]): string => Buffer.from(JSON.stringify(values)).toString('base64url');

export function decodeCursor(cursor: string | undefined | null, size: number): string[] | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(values) && values.length === size && values.every((v) => typeof v === 'string')) return values as string[];
  } catch {
    // not a cursor of ours: answered below
  }
  throw badInput('after is not a cursor returned by this list', { field: 'after' });
}
