import { graphql } from 'graphql';
import { Arg, Directive, Field, ID, ObjectType, Query, Resolver, buildSchema } from 'type-graphql';
import { applyPorticoDirectives, PORTICO_DIRECTIVES, PorticoViewer } from 'portico-kit';
import { Authenticated, RequiresPermission, subgraphFromTypeGraphQL } from 'portico-kit/type-graphql';

@ObjectType()
@Directive('@key(fields: "id")')
@RequiresPermission('projects:read', { account: 'accountId' })
class Project {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => ID) accountId!: string;
  @Field({ nullable: true })
  @RequiresPermission('budgets:read|finance:read', { account: 'accountId' })
  budget?: number;
}

const PROJECTS: Project[] = [
  { id: 'p-a', name: 'Apollo', accountId: 'acct-a', budget: 100 },
  { id: 'p-b', name: 'Secret', accountId: 'acct-b', budget: 999 },
];

@Resolver()
class ProjectResolver {
  @Query(() => [Project], { nullable: true })
  @RequiresPermission('projects:read', { account: 'accountId' })
  projects(@Arg('accountId', () => ID) accountId: string): Project[] {
    return PROJECTS.filter((p) => p.accountId === accountId);
  }

  @Query(() => String)
  @Authenticated()
  hello(): string {
    return 'hello';
  }
}

/** A viewer whose decisions come from a table instead of Portico: "permission@account" it holds. */
function viewerHolding(held: string[], calls: string[][]): PorticoViewer {
  const fakeFetch = (async (_url: string, init: { body: string }) => {
    const checks = (JSON.parse(init.body) as { variables: { c: Array<{ permission: string; accountId: string }> } }).variables.c;
    calls.push(checks.map((c) => `${c.permission}@${c.accountId}`));
    const authorize = checks.map((c) => ({ ...c, allowed: held.includes(`${c.permission}@${c.accountId}`), scope: null, reason: 'table' }));
    return new Response(JSON.stringify({ data: { authorize } }), { headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;
  return new PorticoViewer({ sub: 'user-a', acct: 'acct-a' }, 'token', { porticoUrl: 'http://portico.invalid/graphql', fetch: fakeFetch });
}

describe('the kit on a type-graphql schema', () => {
  let schema: Awaited<ReturnType<typeof subgraphFromTypeGraphQL>>['schema'];
  let sdl: string;

  beforeAll(async () => {
    const base = await buildSchema({ resolvers: [ProjectResolver], directives: PORTICO_DIRECTIVES, validate: false, skipCheck: true });
    ({ sdl, schema } = subgraphFromTypeGraphQL(base, { Project: (ref) => PROJECTS.find((p) => p.id === ref.id) ?? null }));
    applyPorticoDirectives(schema);
  });

  it('prints a subgraph SDL that links Portico\'s directives and keeps them on fields and types', () => {
    expect(sdl).toContain('@link(url: "https://portico.dev/authz/v0.1", import: ["@authenticated", "@requiresPermission", "@public"])');
    expect(sdl).toMatch(/type Project @key\(fields: "id"\) @requiresPermission\(permission: "projects:read", account: "accountId"\)/);
    expect(sdl).toContain('budget: Float @requiresPermission(permission: "budgets:read|finance:read", account: "accountId")');
  });

  it('enforces field, type and root rules, and entity resolution, as on a plain subgraph', async () => {
    const calls: string[][] = [];
    const run = (source: string, portico: PorticoViewer | null) => graphql({ schema, source, contextValue: { portico } });

    const allowed = await run('{ projects(accountId: "acct-a") { name budget } }', viewerHolding(['projects:read@acct-a', 'finance:read@acct-a'], calls));
    expect(allowed).toEqual({ data: { projects: [{ name: 'Apollo', budget: 100 }] } });

    const noBudget = await run('{ projects(accountId: "acct-a") { name budget } }', viewerHolding(['projects:read@acct-a'], calls));
    expect(noBudget.data).toEqual({ projects: [{ name: 'Apollo', budget: null }] });
    expect(noBudget.errors?.map((e) => [e.path, e.extensions.code])).toEqual([[['projects', 0, 'budget'], 'UNAUTHORIZED_FIELD_OR_TYPE']]);

    const otherTenant = await run('{ projects(accountId: "acct-b") { name } }', viewerHolding(['projects:read@acct-a'], calls));
    expect(otherTenant.data).toEqual({ projects: null });
    expect(otherTenant.errors?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);

    const entity = await run('{ _entities(representations: [{ __typename: "Project", id: "p-b", accountId: "acct-a" }]) { ... on Project { name } } }', viewerHolding(['projects:read@acct-a'], calls));
    expect(entity.data).toEqual({ _entities: [null] });
    expect(entity.errors?.map((e) => e.extensions.code)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);

    const anonymous = await run('{ hello }', null);
    expect(anonymous.errors?.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
  });
});
