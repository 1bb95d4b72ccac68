import { createServer, type Server, type Socket } from 'net';
import type { AddressInfo } from 'net';
import { ContextForwardingSubgraph } from '../../src/gateway/data-sources';
import { isQueryRequest, withSubgraphTimeout } from '../../src/gateway/subgraph-faults';

/**
 * A subgraph whose first connection is reset as soon as a request arrives (what a client sees when it reuses a
 * kept-alive connection the server is closing), and whose later connections answer.
 */
async function flakySubgraph(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => {
      requests += 1;
      if (requests === 1) return socket.resetAndDestroy();
      const body = JSON.stringify({ data: { ok: true } });
      socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

const post = (query: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });

describe('a subgraph connection reset before any answer', () => {
  it.each([
    { title: 'a query is sent once more and answered', query: 'query Offers__offers__0 { offers { id } }', answered: true, requests: 2 },
    { title: 'a shorthand query is sent once more and answered', query: '{ offers { id } }', answered: true, requests: 2 },
    { title: 'a mutation is never sent twice: it fails', query: 'mutation Open__tickets__0 { openTicket { id } }', answered: false, requests: 1 },
  ])('$title', async ({ query, answered, requests }) => {
    const subgraph = await flakySubgraph();
    try {
      const source = withSubgraphTimeout(new ContextForwardingSubgraph('tickets', subgraph.url), 2000);
      const sent = source.fetcher(subgraph.url, post(query));
      if (answered) {
        const response = await sent;
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ data: { ok: true } });
      } else {
        await expect(sent).rejects.toMatchObject({ name: 'FetchError' });
      }
      expect(subgraph.requests()).toBe(requests);
    } finally {
      await subgraph.close();
    }
  });

  it('tells queries from mutations by the operation sent', () => {
    expect(isQueryRequest(JSON.stringify({ query: '  query A { a }' }))).toBe(true);
    expect(isQueryRequest(JSON.stringify({ query: '{ a }' }))).toBe(true);
    expect(isQueryRequest(JSON.stringify({ query: 'mutation M { m }' }))).toBe(false);
    expect(isQueryRequest(JSON.stringify({ query: 'subscription S { s }' }))).toBe(false);
    expect(isQueryRequest('not json')).toBe(false);
    expect(isQueryRequest(undefined)).toBe(false);
  });
});
