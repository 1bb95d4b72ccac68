import type { AccountFacts, PrincipalFacts, RoleAssignmentFact } from '../policy';
import { ancestorIdsOf, type AccountEntity, type UserEntity } from '../storage/entities';

// What the decision engine is given: accounts and callers as facts, read from the rows that hold them.

export function accountFacts(account: AccountEntity): AccountFacts {
  return { id: account.id, type: account.type, status: account.status, settings: account.settings ?? {}, ancestorIds: ancestorIdsOf(account.path) };
}

export function principalFacts(user: UserEntity, account: AccountEntity, assignments: RoleAssignmentFact[]): PrincipalFacts {
  return {
    userId: user.id,
    homeAccountId: account.id,
    active: user.status !== 'SUSPENDED' && account.status === 'ACTIVE',
    assignments,
  };
}
