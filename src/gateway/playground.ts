import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import * as ipaddr from 'ipaddr.js';
import { dirname, join } from 'path';
import { In } from 'typeorm';
import type { Services } from '../domain/context';
import { canonicalEmail } from '../identifiers';
import { signDevToken, type DevKeyPair } from '../identity';
import { AccountEntity, RoleAssignmentEntity, UserEntity } from '../storage/entities';
import { sendJson } from 'portico-kit/http';
import { exampleOperations } from './playground/examples';
import { PLAYGROUND_SCRIPT, PLAYGROUND_STYLES, playgroundPage } from './playground/page';

export const PLAYGROUND_PATH = '/playground';

/** The sign-in helper lists this many users at most: enough for any demo, bounded on a database seeded at scale. */
const MAX_LISTED_USERS = 500;

/**
 * Only this origin: the page, its scripts and its requests never leave the server, so it works offline and an
 * injected script has nowhere to load from or send to. No inline script or style (GraphiQL's fonts are data: URIs).
 */
export const PLAYGROUND_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** A file of an installed package, found through its package.json (the packages do not export their UMD bundles). */
function packageFile(pkg: string, file: string): Buffer {
  return readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), file));
}

const ASSET_SOURCES: Record<string, { type: string; load: () => Buffer }> = {
  'react.production.min.js': { type: 'text/javascript', load: () => packageFile('react', 'umd/react.production.min.js') },
  'react-dom.production.min.js': { type: 'text/javascript', load: () => packageFile('react-dom', 'umd/react-dom.production.min.js') },
  'graphiql.min.js': { type: 'text/javascript', load: () => packageFile('graphiql', 'graphiql.min.js') },
  'graphiql.min.css': { type: 'text/css', load: () => packageFile('graphiql', 'graphiql.min.css') },
  'playground.js': { type: 'text/javascript', load: () => Buffer.from(PLAYGROUND_SCRIPT) },
  'playground.css': { type: 'text/css', load: () => Buffer.from(PLAYGROUND_STYLES) },
};

/** A demo user the sign-in helper offers. */
export interface PlaygroundUser {
  email: string;
  name: string;
  account: string;
  roles: string[];
  canLogin: boolean;
}

export interface PlaygroundOptions {
  services: Services;
  /** The development key; the sign-in helper exists only with it, in development. */
  devKeys?: DevKeyPair;
  graphqlPath: string;
}

/** Whether a Host header names this machine's loopback interface, whatever the port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}

/**
 * Whether a connection's peer is this machine: a loopback address (127.0.0.0/8, ::1, or 127.x written as
 * ::ffff:127.x). Read from the socket, never from a header.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address || !ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'loopback';
}

/** Whether `HOST` keeps the server on loopback only: `localhost`, 127.x or ::1; never 0.0.0.0, :: or an interface's address. */
export function listensOnLoopbackOnly(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}

/**
 * The self-hosted GraphiQL playground: the page, its assets from node_modules, and in development a sign-in
 * helper (the demo users, and a development token for one of them).
 */
export class Playground {
  private readonly assets = new Map<string, Asset>();
  readonly signInHelper: boolean;
  /** Why a development server has no sign-in helper: it listens beyond loopback, where others could reach it. */
  private readonly signInHelperOff?: string;

  constructor(private readonly options: PlaygroundOptions) {
    const { config } = options.services;
    const development = config.environment === 'development' && options.devKeys !== undefined;
    this.signInHelper = development && listensOnLoopbackOnly(config.host);
    if (development && !this.signInHelper) {
      this.signInHelperOff = `Portico listens on ${config.host}, not on loopback only (HOST=127.0.0.1 turns it on; npm run token -- <email> prints a token)`;
    }
  }

  /** The start-up line about the sign-in helper, in development with the playground on; undefined otherwise. */
  get startupLine(): string | undefined {
    if (!this.enabled) return undefined;
    if (this.signInHelper) return 'sign-in helper: on, for requests from this machine only (a loopback address and Host)';
    return this.signInHelperOff && `sign-in helper: off, since ${this.signInHelperOff}`;
  }

  get enabled(): boolean {
    return this.options.services.config.playground;
  }

  /** Answers the request when it is the playground's; false leaves it to the GraphQL endpoint or the 404. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const ours = path === PLAYGROUND_PATH || path.startsWith(`${PLAYGROUND_PATH}/`);
    const browserOnGraphQL = method === 'GET' && (path === this.options.graphqlPath || path === '/') && !url.searchParams.has('query') && (req.headers.accept ?? '').includes('text/html');
    if (path === '/favicon.ico' && this.enabled) {
      res.writeHead(204).end();
      return true;
    }
    if (!ours && !browserOnGraphQL) return false;
    if (!this.enabled) {
      if (!ours) return false;
      sendJson(res, 404, { error: 'the playground is off (PORTICO_PLAYGROUND=true turns it on)' });
      return true;
    }
    if (browserOnGraphQL || path === PLAYGROUND_PATH || path === `${PLAYGROUND_PATH}/`) {
      if (method !== 'GET' && method !== 'HEAD') return notFound(res);
      await this.sendPage(res);
      return true;
    }
    if (path.startsWith(`${PLAYGROUND_PATH}/assets/`) && (method === 'GET' || method === 'HEAD')) {
      this.sendAsset(req, res, path.slice(`${PLAYGROUND_PATH}/assets/`.length));
      return true;
    }
    const signIn = path === `${PLAYGROUND_PATH}/users` || path === `${PLAYGROUND_PATH}/token`;
    if (signIn && this.signInHelperOff) {
      sendJson(res, 404, { error: `the sign-in helper is off: ${this.signInHelperOff}` });
      return true;
    }
    if (signIn && this.signInHelper && !isLoopbackAddress(req.socket.remoteAddress)) {
      // Whatever its Host header says: a request from another machine never mints a token.
      sendJson(res, 403, { error: 'the sign-in helper answers only requests from this machine (a loopback address)' });
      return true;
    }
    if (signIn && this.signInHelper && !isLoopbackHost(req.headers.host)) {
      // A page on another name that resolves here (DNS rebinding) must not mint tokens from the visitor's browser.
      sendJson(res, 403, { error: 'the sign-in helper answers only requests addressed to a loopback host (localhost, 127.0.0.1, [::1])' });
      return true;
    }
    if (path === `${PLAYGROUND_PATH}/users` && method === 'GET' && this.signInHelper) {
      sendJson(res, 200, { users: await this.demoUsers() });
      return true;
    }
    if (path === `${PLAYGROUND_PATH}/token` && method === 'POST' && this.signInHelper) {
      await this.mintToken(req, res);
      return true;
    }
    return notFound(res);
  }

  private async sendPage(res: ServerResponse): Promise<void> {
    const { config, engine, db } = this.options.services;
    const tabs = await exampleOperations(engine.policy.name, db.manager);
    const html = playgroundPage({ graphqlPath: this.options.graphqlPath, preset: engine.policy.name, signInHelper: this.signInHelper, environment: config.environment, tabs });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PLAYGROUND_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
    res.end(html);
  }

  private sendAsset(req: IncomingMessage, res: ServerResponse, name: string): void {
    let asset = this.assets.get(name);
    if (!asset) {
      const source = ASSET_SOURCES[name];
      if (!source) {
        notFound(res);
        return;
      }
      const body = source.load();
      asset = { body, type: source.type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
      this.assets.set(name, asset);
    }
    const headers = { 'content-type': `${asset.type}; charset=utf-8`, etag: asset.etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(asset.body.length) });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  /** The first users by email (a demo database has a few dozen), with their account and rights, in account then email order. */
  async demoUsers(): Promise<PlaygroundUser[]> {
    const { db, engine } = this.options.services;
    const users = await db.manager.find(UserEntity, { order: { email: 'ASC' }, take: MAX_LISTED_USERS });
    const accountIds = [...new Set(users.map((u) => u.accountId))];
    const [accounts, assignments] = await Promise.all([
      accountIds.length ? db.manager.findBy(AccountEntity, { id: In(accountIds) }) : [],
      users.length ? db.manager.findBy(RoleAssignmentEntity, { userId: In(users.map((u) => u.id)) }) : [],
    ]);
    const accountOf = new Map(accounts.map((a) => [a.id, a]));
    const rolesOf = new Map<string, RoleAssignmentEntity[]>();
    for (const a of assignments) rolesOf.set(a.userId, [...(rolesOf.get(a.userId) ?? []), a]);
    return users
      .map((user) => {
        const account = accountOf.get(user.accountId);
        const held = rolesOf.get(user.id) ?? [];
        const canLogin = user.status !== 'SUSPENDED' && held.every((r) => r.customRoleId !== null || !account || (engine.role(account.type, r.role)?.canLogin ?? true));
        return { email: user.email, name: user.name, account: account?.name ?? '', roles: held.map((r) => r.role).sort(), canLogin };
      })
      .sort((a, b) => a.account.localeCompare(b.account) || a.email.localeCompare(b.email));
  }

  /** `POST /playground/token {"email"}`: a development token, as `npm run token` prints. JSON only, so no form can post it. */
  private async mintToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!(req.headers['content-type'] ?? '').includes('application/json')) {
      sendJson(res, 415, { error: 'send {"email": "…"} as application/json' });
      return;
    }
    let email: unknown;
    try {
      email = (JSON.parse(await readSmallBody(req)) as { email?: unknown }).email;
    } catch {
      sendJson(res, 400, { error: 'send {"email": "…"} as application/json' });
      return;
    }
    if (typeof email !== 'string' || email === '') {
      sendJson(res, 400, { error: 'send {"email": "…"} as application/json' });
      return;
    }
    // The canonical form, as emails are stored: ADMIN@ACME.EXAMPLE is admin@acme.example, a look-alike is nobody.
    const canonical = canonicalEmail(email);
    const user = canonical.ok ? await this.options.services.db.manager.findOneBy(UserEntity, { email: canonical.email }) : null;
    if (!user) {
      sendJson(res, 404, { error: `no user with email ${email}` });
      return;
    }
    sendJson(res, 200, { email: user.email, token: await signDevToken(this.options.devKeys!, user) });
  }
}

function notFound(res: ServerResponse): true {
  sendJson(res, 404, { error: 'not found' });
  return true;
}

async function readSmallBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 4096) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
