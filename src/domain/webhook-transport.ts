import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'dns';
import { request as httpRequest, type IncomingMessage } from 'http';
import { request as httpsRequest } from 'https';
import ipaddr from 'ipaddr.js';
import { isIP, type LookupFunction } from 'net';

/**
 * Whether an address is anything but a public unicast one, by ipaddr.js's range classes: loopback, private,
 * link-local, shared (CGNAT), benchmarking, documentation, reserved, multicast and broadcast, and every IPv6 form that
 * embeds an IPv4 address (IPv4-mapped, SIIT, NAT64, 6to4, Teredo, and the deprecated IPv4-compatible `::a.b.c.d`,
 * which ipaddr.js reads as unicast). Not an address at all counts as internal.
 */
export function isInternalAddress(address: string): boolean {
  if (isIP(address) === 0) return true;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return true;
  return parsed.range() !== 'unicast';
}

/** Resolves a host name as `dns.lookup` does; tests pass their own to name an address of their choosing. */
export type Resolver = (hostname: string, options: LookupOptions & { all: true }, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/** Raised when the connection would go to an internal address: never retried into a success. */
export class RefusedAddressError extends Error {}

/**
 * A lookup that hands the socket only addresses it checked: the connection goes to the address that was checked,
 * never to a second answer of the resolver (no window for DNS rebinding between a check and the connect).
 */
export function checkedLookup(resolve: Resolver = dnsLookup as unknown as Resolver): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.find((a) => isInternalAddress(a.address));
      if (addresses.length === 0 || refused) {
        return callback(new RefusedAddressError(`${hostname} resolves to ${refused?.address ?? 'nothing'}: not a public address`) as NodeJS.ErrnoException, '', 0);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  }) as LookupFunction;
}

export interface PostOptions {
  headers: Record<string, string>;
  body: string;
  /** Refuse internal addresses (production, unless PORTICO_WEBHOOK_ALLOW_PRIVATE). */
  publicOnly: boolean;
  /** The whole attempt, connection to status line. */
  timeoutMs: number;
  /** Establishing the TCP connection: a dead endpoint fails fast. */
  connectTimeoutMs: number;
  resolve?: Resolver;
}

/**
 * POSTs a webhook body and answers the response's status. A fresh connection each time (no pooled socket is reused
 * for another host), redirects are not followed (a 3xx is the answer, so a failure), and with `publicOnly` an
 * address literal is checked as is and a host name through `checkedLookup`.
 */
export function postWebhook(raw: string, options: PostOptions): Promise<{ status: number }> {
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (options.publicOnly && isIP(host) !== 0 && isInternalAddress(host)) return Promise.reject(new RefusedAddressError(`${host} is not a public address`));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
      agent: false,
      signal: AbortSignal.timeout(options.timeoutMs),
      ...(options.publicOnly ? { lookup: checkedLookup(options.resolve) } : options.resolve ? { lookup: uncheckedLookup(options.resolve) } : {}),
    });
    const connecting = setTimeout(() => request.destroy(new Error(`no connection within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
    request.on('socket', (socket) => {
      if (!socket.connecting) clearTimeout(connecting);
      else socket.once('connect', () => clearTimeout(connecting));
    });
    request.on('response', (response: IncomingMessage) => {
      clearTimeout(connecting);
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    });
    request.on('error', (error) => {
      clearTimeout(connecting);
      reject(error);
    });
    request.on('close', () => clearTimeout(connecting));
    request.end(options.body);
  });
}

/** A given resolver, unchecked: outside production, a test's name may still resolve to loopback. */
function uncheckedLookup(resolve: Resolver): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]?.address ?? '', addresses[0]?.family ?? 4);
    });
  }) as LookupFunction;
}
