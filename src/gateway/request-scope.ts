import { AsyncLocalStorage } from 'async_hooks';

/** What every log line written while serving a request carries: its request id. */
export interface RequestScope {
  requestId: string;
}

const scope = new AsyncLocalStorage<RequestScope>();

/** Runs the request's work so that what it logs, masked errors included, names the request. */
export const inRequestScope = <T>(requestId: string, work: () => Promise<T>): Promise<T> => scope.run({ requestId }, work);

/** A pino `mixin`: the current request's id, or nothing outside a request. */
export const requestScopeFields = (): Partial<RequestScope> => scope.getStore() ?? {};
