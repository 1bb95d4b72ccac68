import { FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { AccountConnection } from '../types/account.type';
import { DelegatedAdminRelationshipConnection } from '../types/delegation.type';
import { ImpersonationGrantConnection, ImpersonationSessionConnection } from '../types/impersonation.type';

// Each list counts itself only when totalCount is asked for; the lists of a page count in one grouped statement.
const DESCRIPTION = 'How many items the list has in all, over every page.';

@Resolver(() => AccountConnection)
export class AccountConnectionResolver {
  @FieldResolver(() => Int, { description: 'How many accounts the list has in all (those the viewer may see), over every page.' })
  totalCount(@Root() list: AccountConnection): Promise<number> {
    return list.count();
  }
}

@Resolver(() => ImpersonationGrantConnection)
export class ImpersonationGrantConnectionResolver {
  @FieldResolver(() => Int, { description: DESCRIPTION })
  totalCount(@Root() list: ImpersonationGrantConnection): Promise<number> {
    return list.count();
  }
}

@Resolver(() => ImpersonationSessionConnection)
export class ImpersonationSessionConnectionResolver {
  @FieldResolver(() => Int, { description: DESCRIPTION })
  totalCount(@Root() list: ImpersonationSessionConnection): Promise<number> {
    return list.count();
  }
}

@Resolver(() => DelegatedAdminRelationshipConnection)
export class DelegatedAdminRelationshipConnectionResolver {
  @FieldResolver(() => Int, { description: DESCRIPTION })
  totalCount(@Root() list: DelegatedAdminRelationshipConnection): Promise<number> {
    return list.count();
  }
}
