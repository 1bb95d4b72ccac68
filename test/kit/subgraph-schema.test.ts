import { execute, parse, type ExecutionResult } from 'graphql';
import { buildSubgraphSchema } from 'portico-kit';

const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])

type Query {
  project(id: ID!): Project
}

type Project @key(fields: "id") {
  id: ID!
  name: String @shareable
}

type Account @key(fields: "id") {
  id: ID!
  plan: String
}

type Tag @key(fields: "name", resolvable: false) {
  name: String!
}
`;

const projects: Record<string, { id: string; name: string }> = { p1: { id: 'p1', name: 'Apollo' } };
const schema = buildSubgraphSchema({
  typeDefs: parse(SDL),
  resolvers: {
    Query: { project: (_: unknown, { id }: { id: string }) => projects[id] ?? null },
    Project: { __resolveReference: async (reference: Record<string, unknown>) => projects[String(reference.id)] ?? null },
    Account: { plan: () => 'gold' },
  },
});
const run = (query: string) => execute({ schema, document: parse(query) }) as Promise<ExecutionResult>;

describe("Portico's Federation 2 subgraph schema builder", () => {
  it('answers _service with the SDL as written, for composition', async () => {
    const result = await run('{ _service { sdl } }');
    expect(result.data?._service).toEqual({ sdl: expect.stringContaining('type Project @key(fields: "id")') });
    expect(String((result.data?._service as { sdl: string }).sdl)).not.toContain('_entities');
  });

  it.each([
    { title: 'through the type\'s __resolveReference', representations: '[{ __typename: "Project", id: "p1" }]', data: [{ __typename: 'Project', name: 'Apollo' }] },
    { title: 'to null when the reference resolver finds nothing', representations: '[{ __typename: "Project", id: "nope" }]', data: [null] },
    { title: 'to the representation itself without a reference resolver', representations: '[{ __typename: "Account", id: "a1" }]', data: [{ __typename: 'Account', id: 'a1', plan: 'gold' }] },
  ])('resolves _entities $title', async ({ representations, data }) => {
    const result = await run(`{ _entities(representations: ${representations}) { __typename ... on Project { name } ... on Account { id plan } } }`);
    expect(result).toEqual({ data: { _entities: data } });
  });

  it('refuses a representation of a type that is no resolvable entity', async () => {
    for (const typename of ['Tag', 'Nothing']) {
      const result = await run(`{ _entities(representations: [{ __typename: "${typename}", name: "x" }]) { __typename } }`);
      expect(result.data).toEqual({ _entities: [null] });
      expect(result.errors?.map((e) => e.message)).toEqual([`${typename} is not an entity of this subgraph`]);
    }
  });

  it("keeps each reference resolver where Apollo's builder does, for the kit's enforcement", () => {
    const extensions = schema.getType('Project')!.extensions as { apollo?: { subgraph?: { resolveReference?: unknown } } };
    expect(typeof extensions.apollo?.subgraph?.resolveReference).toBe('function');
    expect(schema.getType('Account')!.extensions).toEqual({});
  });

  it('builds a subgraph without a Query type of its own', async () => {
    const entitiesOnly = buildSubgraphSchema({ typeDefs: parse('extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\ntype Item @key(fields: "id") { id: ID! }') });
    const result = (await execute({ schema: entitiesOnly, document: parse('{ _entities(representations: [{ __typename: "Item", id: "i" }]) { ... on Item { id } } }') })) as ExecutionResult;
    expect(result).toEqual({ data: { _entities: [{ id: 'i' }] } });
  });
});
