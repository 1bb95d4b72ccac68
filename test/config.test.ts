import { resolve } from 'path';
import { ConfigError, loadConfig } from '../src/config';

describe('configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      dataDir: resolve('./data'),
      databaseUrl: undefined,
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
      playground: true,
    });
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
    });
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
  ])('refuses $variable=$value, naming the variable, the value and what is accepted', ({ variable, value, accepted }) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain(`${variable}=${JSON.stringify(value)}`);
    expect(message).toMatch(accepted);
  });
});
