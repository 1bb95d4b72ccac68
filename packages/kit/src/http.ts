// `portico-kit/http`: serving a subgraph with Apollo Server on Node's http (@apollo/server is a peer dependency of this
// entry point only).
import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import type { IncomingMessage, Server, ServerResponse } from 'http';

/** Largest accepted request body, unless configured (`PORTICO_MAX_BODY_BYTES`). */
export const MAX_BODY_BYTES = 1_000_000;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Answers a request that failed outside GraphQL: masked, with the code clients know. */
export function sendInternalError(res: ServerResponse): void {
  if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  else res.end();
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The body of a GraphQL request: parsed JSON, the raw text of another content type, undefined without one. An
 * oversized or malformed body is answered here (413 / 400) and null returned: the caller has nothing left to do.
 */
export async function readGraphQLBody(req: IncomingMessage, res: ServerResponse, maxBytes = MAX_BODY_BYTES): Promise<{ body: unknown } | null> {
  try {
    const raw = req.method === 'POST' ? await readBody(req, maxBytes) : '';
    const type = req.headers['content-type'] ?? '';
    return { body: raw && type.includes('application/json') ? JSON.parse(raw) : raw || undefined };
  } catch (error) {
    const status = (error as { status?: number }).status ?? 400;
    // The rest of an oversized body is never read: the connection cannot carry another request.
    if (status === 413) res.setHeader('connection', 'close');
    sendJson(res, status, { errors: [{ message: status === 413 ? 'request body too large' : 'malformed JSON body', extensions: { code: 'BAD_REQUEST' } }] });
    return null;
  }
}

export function headerMapOf(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  return headers;
}

/** Writes Apollo Server's response, complete or streamed, with any headers of our own. */
export async function sendGraphQLResponse(res: ServerResponse, response: HTTPGraphQLResponse, extraHeaders: Record<string, string> = {}): Promise<void> {
  const outHeaders: Record<string, string> = { ...extraHeaders };
  for (const [key, value] of response.headers) outHeaders[key] = value;
  res.writeHead(response.status ?? 200, outHeaders);
  if (response.body.kind === 'complete') res.end(response.body.string);
  else {
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

/**
 * Keeps idle client connections open longer than the clients in front usually do (Node's default is 5 s), so a
 * gateway or proxy rarely reuses a connection at the moment this server closes it.
 */
export function keepConnectionsAlive(server: Server, idleMs = 65_000): Server {
  server.keepAliveTimeout = idleMs;
  server.headersTimeout = idleMs + 1_000;
  return server;
}
