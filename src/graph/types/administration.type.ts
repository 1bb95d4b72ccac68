import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType } from 'type-graphql';

@InputType({ description: 'What to change on an account; fields left out stay as they are.' })
export class UpdateAccountInput {
  @Field(() => String, { nullable: true, description: 'The new name (requires accounts.update).' })
  name?: string | null;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Merged into the settings (requires accounts.configure): a key given replaces its value, a key given as null is removed. Settings the policy reads (modules, adminsMayAssignRoles, leadsVisibilityByRole, …) are changed only from above the account. A secret setting is write-only: set it here, it is never read back.',
  })
  settings?: Record<string, unknown> | null;
}

@InputType({ description: 'What to change on a user; fields left out stay as they are.' })
export class UpdateUserInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Unique among users, and not one that could be taken for another user\'s (CONFLICT).' })
  email?: string | null;
}
