export * from './errors';
export * from './dev-keys';
export * from './tokens';
