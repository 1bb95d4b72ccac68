import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import { Authenticated, RequiresPermission } from '../directives';
import { PageInfo } from './common.type';

@ObjectType({ description: "Who a view is shown to: the members of any of these partner groups (none: no one). Held by id, so renaming a group keeps it." })
@Authenticated()
export class ViewAudience {
  @Field(() => [ID])
  partnerGroupIds!: string[];
}

@ObjectType({ description: "A custom view of the portal (a page or menu entry at a path), shown to the partner groups of its audience: the SPA builds its navigation from viewer.views." })
@Authenticated()
export class View {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'Where the portal shows it, e.g. /campaigns/gold; unique on the platform.' })
  path!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => Int, { description: 'Its place in the navigation: lower first, then by path.' })
  position!: number;

  @Field(() => ViewAudience, { nullable: true, description: 'Who sees it (for those who manage partner groups; members see the view).' })
  @RequiresPermission('partnerGroups.manage')
  audience!: ViewAudience;

  @Field(() => GraphQLDateTimeISO)
  createdAt!: Date;

  @Field(() => GraphQLDateTimeISO)
  updatedAt!: Date;
}

@ObjectType()
@Authenticated()
export class ViewEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => View)
  node!: View;
}

@ObjectType({ description: 'A Relay connection of views, in navigation order.' })
@Authenticated()
export class ViewConnection {
  @Field(() => [ViewEdge])
  edges!: ViewEdge[];

  @Field(() => [View])
  nodes!: View[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'How many views there are, over every page.' })
  totalCount!: number;
}

@InputType({ description: 'The partner groups, by id, whose members see the view; an empty list shows it to no one.' })
export class ViewAudienceInput {
  @Field(() => [ID])
  partnerGroupIds!: string[];
}

@InputType()
export class CreateViewInput {
  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'A path inside the portal, starting with a single /.' })
  path!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Int, { nullable: true, description: 'Its place in the navigation (default 0).' })
  position?: number | null;

  @Field(() => ViewAudienceInput)
  audience!: ViewAudienceInput;
}

@InputType({ description: 'The parts of a view to change; a part left out stays (description: null removes it).' })
export class UpdateViewInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  path?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Int, { nullable: true })
  position?: number | null;

  @Field(() => ViewAudienceInput, { nullable: true })
  audience?: ViewAudienceInput | null;
}
