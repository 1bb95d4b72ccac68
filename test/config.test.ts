import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { ConfigError, loadConfig } from '../src/config';

describe('configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      dataDir: resolve('data', 'dstny'),
      databaseUrl: undefined,
      sqliteSynchronous: 'FULL',
      sqliteBusyTimeoutMs: 5000,
      policy: 'dstny',
      bootstrapEmail: 'admin@platform.local',
      seedDemo: true,
      jwksUrl: undefined,
      jwtIssuer: undefined,
      jwtAudience: undefined,
      signingKey: undefined,
      impersonationMaxMinutes: 60,
      maxPageSize: 100,
      environment: 'development',
      logLevel: 'info',
      subgraphs: [],
      supergraphPath: undefined,
      enforcement: 'filter',
      contextSigningKey: undefined,
      maxDepth: 10,
      maxAliases: 15,
      maxDirectives: 20,
      maxTokens: 500,
      maxCost: 100_000,
      maxBodyBytes: 1_000_000,
      requestTimeoutMs: 10_000,
      metrics: true,
      metricsToken: undefined,
      metricsPort: undefined,
      subgraphTimeoutMs: 10000,
      playground: true,
      webhookAllowPrivate: false,
      webhookRetrySchedule: [0, 1, 5, 30, 120, 600, 3600, 21600],
      webhookDelivery: true,
      webhookPollMs: 1000,
      outboxRetentionDays: 30,
      decisionLog: 'off',
      introspection: 'per-identity',
      decisionSampleRate: 1,
      decisionSampleRateAllowed: 0,
      schedulerIntervalMs: 60_000,
      requestTtlDays: 90,
      auditKey: undefined,
      auditCheckpoints: undefined,
      auditCheckpointIntervalMs: 3_600_000,
    });
  });

  it.each([
    { title: 'off', env: { PORTICO_SCHEDULER_INTERVAL_MS: 'off' }, expected: { schedulerIntervalMs: 0 } },
    { title: '0', env: { PORTICO_SCHEDULER_INTERVAL_MS: '0' }, expected: { schedulerIntervalMs: 0 } },
    { title: 'an interval and a TTL', env: { PORTICO_SCHEDULER_INTERVAL_MS: '250', PORTICO_REQUEST_TTL_DAYS: '30' }, expected: { schedulerIntervalMs: 250, requestTtlDays: 30 } },
  ])('reads the lifecycle scheduler settings: $title', ({ env, expected }) => {
    expect(loadConfig(env)).toMatchObject(expected);
  });

  it.each([
    ['PORTICO_SCHEDULER_INTERVAL_MS', 'sometimes'],
    ['PORTICO_SCHEDULER_INTERVAL_MS', '-5'],
    ['PORTICO_REQUEST_TTL_DAYS', '0'],
    ['PORTICO_REQUEST_TTL_DAYS', '1.5'],
    ['PORTICO_DECISION_SAMPLE_RATE', '2'],
    ['PORTICO_DECISION_SAMPLE_RATE_ALLOWED', 'half'],
  ])('refuses %s=%s', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
  });

  it('reads the operation limits', () => {
    const config = loadConfig({ PORTICO_MAX_DEPTH: '7', PORTICO_MAX_ALIASES: '3', PORTICO_MAX_DIRECTIVES: '4', PORTICO_MAX_TOKENS: '900', PORTICO_MAX_COST: '2500', PORTICO_MAX_BODY_BYTES: '65536', PORTICO_REQUEST_TIMEOUT_MS: '1500' });
    expect(config).toMatchObject({ maxDepth: 7, maxAliases: 3, maxDirectives: 4, maxTokens: 900, maxCost: 2500, maxBodyBytes: 65536, requestTimeoutMs: 1500 });
  });

  it('refuses production without an identity provider: the development key is for development', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PORTICO_JWKS_URL=\(unset\) is not valid: expected the JWKS URL of the identity provider when NODE_ENV=production/);
    const jwks = { NODE_ENV: 'production', PORTICO_JWKS_URL: 'https://idp.example.com/jwks' };
    expect(() => loadConfig(jwks)).toThrow(/^PORTICO_JWT_ISSUER=\(unset\) is not valid: expected the identity provider's issuer \(iss\) when NODE_ENV=production with PORTICO_JWKS_URL$/);
    expect(() => loadConfig({ ...jwks, PORTICO_JWT_ISSUER: 'https://idp.example.com/' })).toThrow(/^PORTICO_JWT_AUDIENCE=\(unset\) is not valid: expected Portico's client id at the identity provider \(aud\) when NODE_ENV=production with PORTICO_JWKS_URL$/);
    const identity = { ...jwks, PORTICO_JWT_ISSUER: 'https://idp.example.com/', PORTICO_JWT_AUDIENCE: 'portal' };
    // The audit key is named last, in one line that says how to make one.
    expect(() => loadConfig(identity)).toThrow(/^PORTICO_AUDIT_KEY=\(unset\) is not valid: expected a secret of at least 32 characters, kept outside the database \(openssl rand -base64 32 makes one\) when NODE_ENV=production$/);
    expect(loadConfig({ ...identity, PORTICO_AUDIT_KEY: 'k'.repeat(32) }).environment).toBe('production');
  });

  it.each([
    { title: 'each preset', env: { PORTICO_POLICY: 'appdirect' }, dataDir: join('data', 'appdirect') },
    { title: 'a policy file, by its name', env: { PORTICO_POLICY: 'policies/partner-portal.yaml' }, dataDir: join('data', 'partner-portal') },
    { title: 'PORTICO_DATA_DIR over either', env: { PORTICO_POLICY: 'unifyr', PORTICO_DATA_DIR: '/srv/portico' }, dataDir: '/srv/portico' },
  ])('keeps the data of $title in a directory of its own under data/', ({ env, dataDir }) => {
    expect(loadConfig(env).dataDir).toBe(resolve(dataDir));
  });

  it('keeps using data/ while it holds a database of the layout before presets had directories', () => {
    const previous = process.cwd();
    const root = mkdtempSync(join(tmpdir(), 'portico-config-'));
    try {
      process.chdir(root);
      expect(loadConfig({ PORTICO_POLICY: 'unifyr' }).dataDir).toBe(resolve(root, 'data', 'unifyr'));
      mkdirSync(join(root, 'data'));
      writeFileSync(join(root, 'data', 'portico.sqlite'), '');
      expect(loadConfig({ PORTICO_POLICY: 'unifyr' }).dataDir).toBe(resolve(root, 'data'));
    } finally {
      process.chdir(previous);
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      PORTICO_DATA_DIR: '/var/lib/portico',
      DATABASE_URL: 'mysql://portico:secret@db:3306/portico',
      PORTICO_POLICY: 'unifyr',
      PORTICO_BOOTSTRAP_EMAIL: 'ops@example.com',
      PORTICO_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      PORTICO_JWT_ISSUER: 'https://idp.example.com/',
      PORTICO_JWT_AUDIENCE: 'portal',
      PORTICO_MAX_PAGE_SIZE: '250',
      PORTICO_IMPERSONATION_MAX_MINUTES: '15',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORTICO_AUDIT_KEY: 'an-audit-key-of-at-least-32-characters',
      PORTICO_AUDIT_CHECKPOINTS: '/mnt/audit-checkpoints',
      PORTICO_AUDIT_CHECKPOINT_INTERVAL_MS: 'off',
    });
    expect(config).toMatchObject({
      port: 8080,
      dataDir: '/var/lib/portico',
      databaseUrl: 'mysql://portico:secret@db:3306/portico',
      policy: 'unifyr',
      bootstrapEmail: 'ops@example.com',
      seedDemo: false,
      jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
      jwtIssuer: 'https://idp.example.com/',
      jwtAudience: 'portal',
      maxPageSize: 250,
      impersonationMaxMinutes: 15,
      environment: 'production',
      logLevel: 'warn',
      introspection: 'off',
      auditKey: 'an-audit-key-of-at-least-32-characters',
      auditCheckpoints: '/mnt/audit-checkpoints',
      auditCheckpointIntervalMs: 0,
    });
  });

  it('reads the introspection mode: per-identity outside production, off in production, either overridden', () => {
    const production = { NODE_ENV: 'production', PORTICO_JWKS_URL: 'https://idp.example.com/jwks', PORTICO_JWT_ISSUER: 'https://idp.example.com/', PORTICO_JWT_AUDIENCE: 'portal', PORTICO_AUDIT_KEY: 'k'.repeat(32) };
    expect(loadConfig({ NODE_ENV: 'test' }).introspection).toBe('per-identity');
    expect(loadConfig({ ...production, PORTICO_INTROSPECTION: 'per-identity' }).introspection).toBe('per-identity');
    expect(loadConfig({ PORTICO_INTROSPECTION: 'full' }).introspection).toBe('full');
    expect(loadConfig({ PORTICO_INTROSPECTION: 'off' }).introspection).toBe('off');
  });

  it('reads the metrics switch and the subgraph timeout', () => {
    expect(loadConfig({ PORTICO_METRICS: 'false', PORTICO_SUBGRAPH_TIMEOUT_MS: '2500' })).toMatchObject({ metrics: false, subgraphTimeoutMs: 2500 });
    expect(loadConfig({ PORTICO_SQLITE_SYNCHRONOUS: 'NORMAL', PORTICO_SQLITE_BUSY_TIMEOUT_MS: '250' })).toMatchObject({ sqliteSynchronous: 'NORMAL', sqliteBusyTimeoutMs: 250 });
  });

  it('seeds demo data on MySQL only when asked to', () => {
    expect(loadConfig({ DATABASE_URL: 'mysql://root@127.0.0.1/test', PORTICO_SEED_DEMO: 'true' }).seedDemo).toBe(true);
    expect(loadConfig({ PORTICO_SEED_DEMO: 'false' }).seedDemo).toBe(false);
  });

  it.each([
    { variable: 'PORT', value: 'eighty', accepted: /port number/ },
    { variable: 'PORT', value: '70000', accepted: /port number/ },
    { variable: 'DATABASE_URL', value: 'postgres://localhost/portico', accepted: /mysql:\/\// },
    { variable: 'PORTICO_POLICY', value: 'acme', accepted: /dstny, appdirect, unifyr/ },
    { variable: 'PORTICO_BOOTSTRAP_EMAIL', value: 'operator', accepted: /email/ },
    { variable: 'PORTICO_SEED_DEMO', value: 'yes', accepted: /true or false/ },
    { variable: 'PORTICO_JWKS_URL', value: 'not a url', accepted: /URL/ },
    { variable: 'PORTICO_MAX_PAGE_SIZE', value: '0', accepted: /integer from 1/ },
    { variable: 'PORTICO_IMPERSONATION_MAX_MINUTES', value: '0', accepted: /integer from 1 to 1440/ },
    { variable: 'PORTICO_SIGNING_KEY', value: '{"kty":"RSA"}', accepted: /EC P-256 JWK/ },
    { variable: 'NODE_ENV', value: 'staging', accepted: /development, production or test/ },
    { variable: 'PORTICO_MAX_DEPTH', value: '0', accepted: /integer from 1 to 1000/ },
    { variable: 'PORTICO_MAX_ALIASES', value: 'many', accepted: /integer from 1 to 1000/ },
    { variable: 'PORTICO_MAX_DIRECTIVES', value: '2.5', accepted: /integer from 1 to 1000/ },
    { variable: 'PORTICO_MAX_TOKENS', value: '-1', accepted: /integer from 1 to 1000000/ },
    { variable: 'PORTICO_MAX_COST', value: 'cheap', accepted: /integer from 1 to 1000000000/ },
    { variable: 'PORTICO_MAX_BODY_BYTES', value: '1MB', accepted: /number of bytes/ },
    { variable: 'PORTICO_REQUEST_TIMEOUT_MS', value: '0', accepted: /number of milliseconds from 1 to 600000/ },
    { variable: 'PORTICO_METRICS', value: 'on', accepted: /true or false/ },
    { variable: 'PORTICO_SUBGRAPH_TIMEOUT_MS', value: '50', accepted: /integer from 100 to 300000/ },
    { variable: 'PORTICO_SUBGRAPHS', value: 'tickets', accepted: /name=http\(s\):\/\/url pairs/ },
    { variable: 'PORTICO_SUBGRAPHS', value: 'tickets=ftp://tickets/graphql', accepted: /name=http\(s\):\/\/url pairs/ },
    { variable: 'PORTICO_SUBGRAPHS', value: 'a=http://a/graphql,a=http://b/graphql', accepted: /distinct names/ },
    { variable: 'PORTICO_SUBGRAPHS', value: 'access-control=http://a/graphql', accepted: /other than access-control/ },
    { variable: 'PORTICO_ENFORCEMENT', value: 'strict', accepted: /filter, reject, dry-run, off/ },
    { variable: 'LOG_LEVEL', value: 'verbose', accepted: 'expected fatal, error, warn, info, debug, trace, silent' },
    { variable: 'PORTICO_CONTEXT_SIGNING_KEY', value: 'secret', accepted: 'expected a private EC P-256 JWK as JSON' },
    { variable: 'PORTICO_CONTEXT_SIGNING_KEY', value: '{"kty":"EC","crv":"P-256"}', accepted: 'expected a private EC P-256 JWK as JSON' },
    { variable: 'PORTICO_PLAYGROUND', value: 'yes', accepted: 'expected true or false' },
    { variable: 'PORTICO_INTROSPECTION', value: 'true', accepted: 'expected off, per-identity, full' },
    { variable: 'PORTICO_SQLITE_SYNCHRONOUS', value: 'OFF', accepted: 'expected FULL or NORMAL' },
    { variable: 'PORTICO_SQLITE_BUSY_TIMEOUT_MS', value: 'forever', accepted: 'expected a number of milliseconds from 0 to 600000' },
    { variable: 'PORTICO_MAX_PAGE_SIZE', value: '10.5', accepted: 'expected an integer from 1 to 10000' },
    { variable: 'PORTICO_POLICY', value: 'policies/mine.json', accepted: 'expected one of dstny, appdirect, unifyr or a path to a .yaml policy file' },
  ])('refuses $variable=$value, naming the variable, the value and what is accepted', ({ variable, value, accepted }) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message.startsWith(`${variable}=${JSON.stringify(value)} is not valid: expected `)).toBe(true);
    expect(message).toMatch(accepted);
  });

  it('refuses a short PORTICO_AUDIT_KEY without repeating the secret', () => {
    expect(() => loadConfig({ PORTICO_AUDIT_KEY: 'short-secret' })).toThrow(
      /^PORTICO_AUDIT_KEY="\(12 characters, not shown\)" is not valid: expected a secret of at least 32 characters, kept outside the database \(openssl rand -base64 32 makes one\)$/,
    );
  });
});
