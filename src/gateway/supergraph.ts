import { composeServices } from '@theguild/federation-composition';
import { existsSync, readdirSync, readFileSync } from 'fs';
import { basename, join } from 'path';
import { Kind, parse, visit, type DirectiveNode, type DocumentNode, type ValueNode } from 'graphql';
import { ConfigError, type PorticoConfig, type SubgraphEndpoint } from '../config';
import { PORTICO_SPEC_URL } from 'portico-kit';

/** The name the access-control graph has in every supergraph Portico composes. */
export const ACCESS_CONTROL_SUBGRAPH = 'access-control';
/** Its URL in the supergraph: never dialled, the gateway executes it in-process. */
export const ACCESS_CONTROL_URL = 'http://in-process.portico/access-control';

export interface SubgraphSource extends SubgraphEndpoint {
  sdl: string;
}

/** Composition failed: the message lists every problem composition reported. */
export class CompositionError extends Error {
  constructor(readonly problems: string[]) {
    super(`the subgraphs do not compose:\n  - ${problems.join('\n  - ')}`);
    this.name = 'CompositionError';
  }
}

const FEDERATION_SPEC = /^https:\/\/specs\.apollo\.dev\/federation\/v2\.(\d+)$/;
const PORTICO_SPEC = PORTICO_SPEC_URL.replace(/\/v[\d.]+$/, '/');

const stringArg = (directive: DirectiveNode, name: string): string | undefined => {
  const value = directive.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
};

const isImport = (entry: ValueNode, name: string): boolean =>
  (entry.kind === Kind.STRING && entry.value === name) ||
  (entry.kind === Kind.OBJECT && entry.fields.some((f) => f.name.value === 'name' && f.value.kind === Kind.STRING && f.value.value === name) && !entry.fields.some((f) => f.name.value === 'as'));

/**
 * Portico's `@authenticated` and Apollo's mean the same thing, but composition refuses two features that both
 * import the name. A subgraph importing Portico's is rewritten to import the federation one (v2.5 and later carry
 * it), so Portico subgraphs and subgraphs written for Apollo Router compose together; the gateway enforces both.
 */
export function normalizeSubgraph(sdl: string): DocumentNode {
  const document = parse(sdl);
  let importsPorticoAuthenticated = false;
  visit(document, {
    Directive(node) {
      if (node.name.value !== 'link' || !stringArg(node, 'url')?.startsWith(PORTICO_SPEC)) return;
      const imports = node.arguments?.find((a) => a.name.value === 'import')?.value;
      if (imports?.kind === Kind.LIST && imports.values.some((v) => isImport(v, '@authenticated'))) importsPorticoAuthenticated = true;
    },
  });
  if (!importsPorticoAuthenticated) return document;
  return visit(document, {
    DirectiveDefinition: (node) => (node.name.value === 'authenticated' ? null : undefined),
    Directive(node) {
      const url = stringArg(node, 'url');
      if (node.name.value === 'composeDirective' && stringArg(node, 'name') === '@authenticated') return null;
      if (node.name.value !== 'link' || !url) return undefined;
      const args = node.arguments ?? [];
      if (url.startsWith(PORTICO_SPEC)) {
        return {
          ...node,
          arguments: args.map((a) => (a.name.value === 'import' && a.value.kind === Kind.LIST ? { ...a, value: { ...a.value, values: a.value.values.filter((v) => !isImport(v, '@authenticated')) } } : a)),
        };
      }
      const federation = FEDERATION_SPEC.exec(url);
      if (!federation) return undefined;
      const version = Math.max(5, Number(federation[1]));
      const authenticated = { kind: Kind.STRING, value: '@authenticated' } as const;
      const hasImports = args.some((a) => a.name.value === 'import');
      const rewritten = args.map((a) => {
        if (a.name.value === 'url') return { ...a, value: { kind: Kind.STRING, value: `https://specs.apollo.dev/federation/v2.${version}` } };
        if (a.name.value === 'import' && a.value.kind === Kind.LIST) return { ...a, value: { ...a.value, values: [...a.value.values, authenticated] } };
        return a;
      });
      const imports = { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'import' }, value: { kind: Kind.LIST, values: [authenticated] } } as const;
      return { ...node, arguments: hasImports ? rewritten : [...rewritten, imports] };
    },
  });
}

/** Composes the subgraphs into a supergraph SDL (Federation 2 composition, @theguild/federation-composition). */
export function composeSupergraph(subgraphs: SubgraphSource[]): string {
  const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: normalizeSubgraph(sdl) })));
  if (result.errors) throw new CompositionError(result.errors.map((e) => e.message));
  return result.supergraphSdl;
}

/** Reads a running subgraph's SDL through `_service { sdl }`, waiting up to 30 s for it to come up (containers start together). */
export async function fetchSubgraphSdl(endpoint: SubgraphEndpoint, options: { attempts?: number; delayMs?: number; log?: (line: string) => void } = {}): Promise<string> {
  const { attempts = 60, delayMs = 500, log = () => {} } = options;
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'query __PorticoSubgraphSdl { _service { sdl } }' }),
        signal: AbortSignal.timeout(5000),
      });
      const body = (await response.json()) as { data?: { _service?: { sdl?: string } }; errors?: Array<{ message: string }> };
      const sdl = body.data?._service?.sdl;
      if (typeof sdl === 'string') return sdl;
      lastError = `HTTP ${response.status}: ${body.errors?.map((e) => e.message).join('; ') ?? 'no _service.sdl in the answer'}`;
      break; // it answered, but not as a subgraph: waiting will not help
    } catch (error) {
      lastError = (error as Error).message;
      if (attempt < attempts) {
        if (attempt % 10 === 1) log(`subgraph ${endpoint.name} at ${endpoint.url} is not answering yet (${lastError}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
  throw new Error(`cannot read the SDL of subgraph ${endpoint.name} at ${endpoint.url}: ${lastError}`);
}

/** The join__Graph enum value composition derives from a subgraph name. */
export const graphEnumName = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

/**
 * The supergraph the gateway serves, or undefined when no downstream subgraph is configured (the access-control
 * graph is then served alone). A static file wins; otherwise the configured subgraphs are composed at start.
 */
export async function loadSupergraph(config: PorticoConfig, accessControlSdl: string, log: (line: string) => void): Promise<string | undefined> {
  if (config.supergraphPath) {
    if (!existsSync(config.supergraphPath)) throw new ConfigError('PORTICO_SUPERGRAPH', config.supergraphPath, 'an existing supergraph SDL file (npm run compose writes schema/supergraph.graphql)');
    return readFileSync(config.supergraphPath, 'utf8');
  }
  if (config.subgraphs.length === 0) return undefined;
  const started = Date.now();
  let read = 0;
  const downstream = await Promise.all(
    config.subgraphs.map(async (endpoint) => {
      const sdl = await fetchSubgraphSdl(endpoint, { log });
      log(`composition: read subgraph ${endpoint.name} (${++read}/${config.subgraphs.length}) from ${endpoint.url}`);
      return { ...endpoint, sdl };
    }),
  );
  const supergraph = composeSupergraph([{ name: ACCESS_CONTROL_SUBGRAPH, url: ACCESS_CONTROL_URL, sdl: accessControlSdl }, ...downstream]);
  log(`composed the access-control graph with ${downstream.map((s) => s.name).join(', ')} in ${Date.now() - started} ms (${supergraph.split('\n').length} lines of supergraph)`);
  return supergraph;
}

/** The subgraphs a supergraph SDL names (join__Graph), with their URLs. */
export function supergraphSubgraphs(supergraphSdl: string): Map<string, string> {
  const graphs = new Map<string, string>();
  for (const match of supergraphSdl.matchAll(/@join__graph\(\s*name:\s*"([^"]+)"\s*,?\s*url:\s*"([^"]*)"\s*\)/g)) graphs.set(match[1], match[2]);
  return graphs;
}

/**
 * Composes the printed SDL files: schema/access-control.graphql and every schema/subgraphs/<name>.graphql, the
 * URLs taken from `urls` by name; a subgraph without one is an error. The gateway overrides them at start from
 * PORTICO_SUBGRAPHS.
 */
export function composeSchemaFiles(schemaDir: string, urls: ReadonlyMap<string, string>, log: (line: string) => void = () => {}): { supergraph: string; subgraphs: SubgraphSource[] } {
  const subgraphDir = join(schemaDir, 'subgraphs');
  const files = existsSync(subgraphDir) ? readdirSync(subgraphDir).filter((f) => f.endsWith('.graphql')).sort() : [];
  const subgraphs: SubgraphSource[] = [{ name: ACCESS_CONTROL_SUBGRAPH, url: ACCESS_CONTROL_URL, sdl: readFileSync(join(schemaDir, 'access-control.graphql'), 'utf8') }];
  log(`${ACCESS_CONTROL_SUBGRAPH}: schema/access-control.graphql (in-process)`);
  for (const file of files) {
    const name = basename(file, '.graphql');
    const url = urls.get(name);
    if (url === undefined) throw new ConfigError('PORTICO_SUBGRAPHS', [...urls].map(([n, u]) => `${n}=${u}`).join(','), `a URL for every subgraph of schema/subgraphs/, ${name} included`);
    subgraphs.push({ name, url, sdl: readFileSync(join(subgraphDir, file), 'utf8') });
    log(`${name}: schema/subgraphs/${file} at ${url}`);
  }
  return { supergraph: composeSupergraph(subgraphs), subgraphs };
}
