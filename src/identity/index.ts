export * from './errors';
export * from './dev-keys';
export * from './tokens';
export * from './impersonation-tokens';
