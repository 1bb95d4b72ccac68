import {
  buildASTSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  print,
  visit,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DocumentNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { getDirective } from '@graphql-tools/utils';
import { accountRoot, alternatives, declaredRules, type PorticoDirectiveRole } from 'portico-kit';
import type { PolicyEngine } from '../policy';
import { PORTICO_ACTIONS } from '../policy';
import { ACCESS_CONTROL_SUBGRAPH, graphEnumName } from './supergraph';

/**
 * What the gateway checks before planning. A permission without `argument` is decided on the caller's current
 * account; with one, on the account whose id the operation passes in that argument (dotted into input objects).
 * `permission` may name alternatives, `"offers:read|offers:readRetailPrice"`: any one of them allows.
 */
export type GatewayRule =
  | { kind: 'authenticated' }
  | { kind: 'permission'; permission: string; argument?: string }
  | { kind: 'scopes'; anyOf: string[][] }
  | { kind: 'policy'; anyOf: string[][] };

/** The supergraph carries authorization metadata the gateway cannot enforce: it does not start. */
export class UnenforceableSupergraphError extends Error {
  constructor(readonly problems: string[]) {
    super(`the supergraph carries authorization metadata Portico cannot enforce:\n  - ${problems.join('\n  - ')}`);
    this.name = 'UnenforceableSupergraphError';
  }
}

const PORTICO_SPEC = /^https:\/\/portico\.dev\/authz\/v0\.\d+$/;
/** Apollo's authorization specs: Portico enforces them before planning, then hides them from the engine. */
const APOLLO_SPECS: Record<string, 'authenticated' | 'requiresScopes' | 'policy'> = {
  'https://specs.apollo.dev/authenticated/v0.1': 'authenticated',
  'https://specs.apollo.dev/requiresScopes/v0.1': 'requiresScopes',
  'https://specs.apollo.dev/policy/v0.1': 'policy',
};
const APOLLO_SCALARS: Record<string, string> = { requiresScopes: 'Scope', policy: 'Policy' };

type Role = 'authenticated' | 'requiresPermission' | 'public' | 'requiresScopes' | 'policy';

interface LinkedNames {
  /** Directive name in this supergraph → what it means. */
  directives: Map<string, Role>;
  /** Apollo security links, their directives and scalars: removed before the engine reads the SDL. */
  strip: { links: Set<string>; directives: Set<string>; scalars: Set<string> };
}

const argument = (directive: ConstDirectiveNode, name: string): ConstValueNode | undefined => directive.arguments?.find((a) => a.name.value === name)?.value;
const stringValue = (value: ConstValueNode | undefined): string | undefined => (value?.kind === Kind.STRING ? value.value : undefined);
/** `[[String]]` arguments of Apollo's directives (`scopes`, `policies`), as coerced by `getDirective`. */
const nestedStrings = (value: unknown): string[][] =>
  Array.isArray(value) ? value.map((inner) => (Array.isArray(inner) ? inner : [inner]).map((v) => (typeof v === 'string' ? v : ''))) : [];

/** Reads the schema's @link directives: which names mean Portico's or Apollo's authorization directives. */
function linkedNames(document: DocumentNode): { names: LinkedNames; problems: string[] } {
  const names: LinkedNames = { directives: new Map(), strip: { links: new Set(), directives: new Set(), scalars: new Set() } };
  const problems: string[] = [];
  const links = document.definitions.flatMap((d) => (d.kind === Kind.SCHEMA_DEFINITION || d.kind === Kind.SCHEMA_EXTENSION ? (d.directives ?? []) : [])).filter((d) => d.name.value === 'link');
  for (const link of links) {
    const url = stringValue(argument(link, 'url')) ?? '';
    const purpose = argument(link, 'for');
    const alias = stringValue(argument(link, 'as'));
    const apollo = APOLLO_SPECS[url];
    if (apollo) {
      const name = alias ?? apollo;
      names.directives.set(name, apollo);
      names.strip.links.add(url);
      names.strip.directives.add(name);
      if (APOLLO_SCALARS[apollo]) names.strip.scalars.add(`${name}__${APOLLO_SCALARS[apollo]}`);
      continue;
    }
    if (url.startsWith('https://portico.dev/authz/')) {
      if (!PORTICO_SPEC.test(url)) {
        problems.push(`${url}: this gateway implements Portico's authorization spec v0.x only`);
        continue;
      }
      const prefix = alias ?? 'authz';
      for (const role of ['authenticated', 'requiresPermission', 'public'] as const) names.directives.set(`${prefix}__${role}`, role);
      const imports = argument(link, 'import');
      for (const entry of imports?.kind === Kind.LIST ? imports.values : []) {
        const from = entry.kind === Kind.STRING ? entry.value : stringValue(entry.kind === Kind.OBJECT ? entry.fields.find((f) => f.name.value === 'name')?.value : undefined);
        const as = entry.kind === Kind.OBJECT ? stringValue(entry.fields.find((f) => f.name.value === 'as')?.value) : undefined;
        const role = from?.replace(/^@/, '');
        if (role === 'authenticated' || role === 'requiresPermission' || role === 'public') names.directives.set((as ?? from!).replace(/^@/, ''), role);
      }
      continue;
    }
    if (purpose?.kind === Kind.ENUM && purpose.value === 'SECURITY') problems.push(`${url} is linked for SECURITY, and Portico does not know how to enforce it`);
  }
  return { names, problems };
}

interface DeclaredRules {
  rules: GatewayRule[];
  public: boolean;
  /** `@requiresPermission(account:)` naming a parent field: object-level, left to the owning subgraph (read for schema views). */
  objectLevel: GatewayRule[];
}

/**
 * The authorization rules of a supergraph, by schema coordinate, read once at start. Fields owned only by the
 * in-process access-control graph are left to it: it enforces every one of its fields itself, with the
 * NOT_FOUND / FORBIDDEN answers its public contract gives, and calling it costs no network request.
 */
export class AuthorizationRules {
  private readonly memo = new Map<string, GatewayRule[]>();

  constructor(
    readonly schema: GraphQLSchema,
    private readonly typeRules: ReadonlyMap<string, DeclaredRules>,
    private readonly fieldRules: ReadonlyMap<string, DeclaredRules>,
    private readonly inProcessFields: ReadonlySet<string>,
  ) {}

  /** Every rule a selection of `parent.field` must pass; empty when the gateway has nothing to check. */
  forField(parent: GraphQLCompositeType, fieldName: string): GatewayRule[] {
    const key = `${parent.name}.${fieldName}`;
    let rules = this.memo.get(key);
    if (rules) return rules;
    if (isObjectType(parent)) rules = this.ofObjectField(parent.name, fieldName);
    else if (isInterfaceType(parent)) {
      // Selected through an interface, a field must pass the rules of every implementation that could answer it.
      const implementations = this.schema.getPossibleTypes(parent).filter((t) => fieldName in t.getFields());
      rules = dedupe([...this.ofObjectField(parent.name, fieldName), ...implementations.flatMap((t) => this.ofObjectField(t.name, fieldName))]);
    } else rules = [];
    this.memo.set(key, rules);
    return rules;
  }

  /** How many object fields the gateway checks before planning; for the start-up log line. */
  get size(): number {
    let count = 0;
    for (const type of Object.values(this.schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const name of Object.keys(type.getFields())) if (this.ofObjectField(type.name, name).length > 0) count++;
    }
    return count;
  }

  /**
   * Every rule that could deny a selection of the field, wherever it is enforced: the gateway's, the in-process
   * graph's and the object-level ones a subgraph checks, the field's type's and its result type's. The caller's
   * schema view keeps a field only when some request of theirs could pass them all.
   */
  reachRules(typeName: string, fieldName: string): GatewayRule[] {
    const type = this.schema.getType(typeName);
    const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[fieldName] : undefined;
    if (!field || fieldName.startsWith('__')) return [];
    const all = (declared: DeclaredRules | undefined) => [...(declared?.rules ?? []), ...(declared?.objectLevel ?? [])];
    const own = this.fieldRules.get(`${typeName}.${fieldName}`);
    return dedupe([...(own?.public ? [] : all(this.typeRules.get(typeName))), ...all(own), ...all(this.typeRules.get(getNamedType(field.type).name))]);
  }

  private ofObjectField(typeName: string, fieldName: string): GatewayRule[] {
    const coordinate = `${typeName}.${fieldName}`;
    if (this.inProcessFields.has(coordinate) || fieldName.startsWith('__')) return [];
    const type = this.schema.getType(typeName);
    const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[fieldName] : undefined;
    if (!field) return [];
    const own = this.fieldRules.get(coordinate);
    const parent = own?.public ? undefined : this.typeRules.get(typeName);
    const returned = this.typeRules.get(getNamedType(field.type).name);
    return dedupe([...(parent?.rules ?? []), ...(own?.rules ?? []), ...(returned?.rules ?? [])]);
  }
}

const dedupe = (rules: GatewayRule[]): GatewayRule[] => {
  const seen = new Map<string, GatewayRule>();
  for (const rule of rules) seen.set(JSON.stringify(rule), rule);
  return [...seen.values()];
};

/** The graphs that resolve a field: its @join__field graphs, else its type's @join__type graphs. */
function owningGraphs(type: GraphQLNamedType, field: GraphQLField<unknown, unknown>): Set<string> {
  const graphsOf = (directives: readonly ConstDirectiveNode[] | undefined, name: string) =>
    (directives ?? [])
      .filter((d) => d.name.value === name && !(argument(d, 'external')?.kind === Kind.BOOLEAN && (argument(d, 'external') as { value: boolean }).value))
      .map((d) => argument(d, 'graph'))
      .flatMap((g) => (g?.kind === Kind.ENUM ? [g.value] : []));
  const fieldGraphs = graphsOf(field.astNode?.directives, 'join__field');
  if (fieldGraphs.length > 0) return new Set(fieldGraphs);
  return new Set([type.astNode, ...type.extensionASTNodes].flatMap((n) => graphsOf(n?.directives, 'join__type')));
}

export interface ReadRulesOptions {
  /** The join__Graph value of the in-process access-control graph, whose fields the gateway leaves to it. @default "ACCESS_CONTROL" */
  inProcessGraph?: string;
}

/**
 * Reads the authorization rules from a supergraph SDL and returns them with the SDL the engine is given
 * (Apollo's security links, directive definitions and uses removed). Throws UnenforceableSupergraphError naming
 * every rule Portico could not evaluate: a security spec it does not implement, a version of its own spec it does
 * not know, an `account` that names neither an argument nor a field of the parent type.
 * A permission or policy name the policy file does not know can be evaluated: it denies, as every unknown
 * permission does. It is returned as a warning (a typo would otherwise deny silently), not refused, because one
 * supergraph may carry subgraphs written for several portals' policies.
 */
export function readAuthorizationRules(supergraphSdl: string, engine: PolicyEngine, { inProcessGraph = graphEnumName(ACCESS_CONTROL_SUBGRAPH) }: ReadRulesOptions = {}): { rules: AuthorizationRules; gatewaySdl: string; warnings: string[] } {
  const document = parse(supergraphSdl);
  const { names, problems } = linkedNames(document);
  const warnings: string[] = [];
  const schema = buildASTSchema(document, { assumeValid: true, assumeValidSDL: true });
  // Portico's own actions are known even where a policy leaves them unmapped (no impersonation in the marketplace):
  // they deny there by design, which is nothing to warn about.
  const known = (requirement: string) => engine.isKnownPermission(requirement) || (PORTICO_ACTIONS as readonly string[]).includes(requirement);

  // Portico's directives are read by the kit's rule model; Apollo's are read here, the one place that knows them.
  const porticoNames = new Map([...names.directives].filter((entry): entry is [string, PorticoDirectiveRole] => entry[1] === 'authenticated' || entry[1] === 'requiresPermission' || entry[1] === 'public'));
  const apolloNames = [...names.directives].filter(([, role]) => role === 'requiresScopes' || role === 'policy');

  const declared = (element: Parameters<typeof getDirective>[1], where: string, arg: (name: string) => boolean, parentField: (name: string) => boolean): DeclaredRules => {
    const out: DeclaredRules = { rules: [], public: false, objectLevel: [] };
    for (const { directive, rule } of declaredRules(schema, element, porticoNames)) {
      if (rule.kind === 'public') out.public = true;
      else if (rule.kind === 'authenticated') out.rules.push({ kind: 'authenticated' });
      else {
        const { permission, account } = rule;
        const named = alternatives(permission);
        const unknown = named.filter((p) => !known(p));
        if (named.length === 0) problems.push(`${where}: @${directive} names no permission`);
        else if (unknown.length > 0) {
          warnings.push(`${where}: @${directive} names ${unknown.map((p) => JSON.stringify(p)).join(', ')}, which the ${engine.policy.name} policy does not know: ${unknown.length < named.length ? 'those alternatives never allow' : 'it always denies'}`);
        }
        if (account === undefined) out.rules.push({ kind: 'permission', permission });
        else if (arg(accountRoot(account))) out.rules.push({ kind: 'permission', permission, argument: account });
        else if (parentField(accountRoot(account))) out.objectLevel.push({ kind: 'permission', permission });
        else problems.push(`${where}: @${directive}(account: ${JSON.stringify(account)}) names neither an argument nor a field of the parent type`);
      }
    }
    for (const [directive, role] of apolloNames) {
      for (const args of getDirective(schema, element, directive) ?? []) {
        if (role === 'requiresScopes') out.rules.push({ kind: 'scopes', anyOf: nestedStrings(args.scopes) });
        else {
          const anyOf = nestedStrings(args.policies);
          for (const policy of anyOf.flat()) if (!known(policy)) warnings.push(`${where}: @${directive} names ${JSON.stringify(policy)}, which is no permission or action of the ${engine.policy.name} policy: it always denies`);
          out.rules.push({ kind: 'policy', anyOf });
        }
      }
    }
    return out;
  };

  const typeRules = new Map<string, DeclaredRules>();
  const fieldRules = new Map<string, DeclaredRules>();
  const inProcessFields = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const fields = isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};
    const typeLevel = declared(
      type,
      type.name,
      () => false,
      (name) => name in fields,
    );
    if (typeLevel.rules.length > 0 || typeLevel.public || typeLevel.objectLevel.length > 0) typeRules.set(type.name, typeLevel);
    for (const field of Object.values(fields)) {
      const coordinate = `${type.name}.${field.name}`;
      const own = declared(field, coordinate, (name) => field.args.some((a) => a.name === name), (name) => name in fields);
      if (own.rules.length > 0 || own.public || own.objectLevel.length > 0) fieldRules.set(coordinate, own);
      const graphs = owningGraphs(type, field as GraphQLField<unknown, unknown>);
      if (graphs.size > 0 && [...graphs].every((g) => g === inProcessGraph)) inProcessFields.add(coordinate);
    }
  }
  if (problems.length > 0) throw new UnenforceableSupergraphError(problems);

  const { strip } = names;
  const stripped = visit(document, {
    Directive: (node) => ((node.name.value === 'link' && strip.links.has(stringValue(argument(node as ConstDirectiveNode, 'url')) ?? '')) || strip.directives.has(node.name.value) ? null : undefined),
    DirectiveDefinition: (node) => (strip.directives.has(node.name.value) ? null : undefined),
    ScalarTypeDefinition: (node) => (strip.scalars.has(node.name.value) ? null : undefined),
  });
  return { rules: new AuthorizationRules(schema, typeRules, fieldRules, inProcessFields), gatewaySdl: print(stripped), warnings };
}
