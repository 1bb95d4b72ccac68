import { ObjectType } from 'type-graphql';
import { Authenticated } from '../directives';

@ObjectType({ description: 'The caller: who they are, which account they act for, what they hold.' })
@Authenticated()
export class Viewer {
  userId!: string;
}
