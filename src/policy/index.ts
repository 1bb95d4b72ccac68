export * from './types';
export * from './policy-file';
export * from './compile';
export * from './engine';
export * from './docs';
export * from './partner-groups';
