import { createServer, type Server, type Socket } from 'net';
import type { AddressInfo } from 'net';
import { SubgraphHttpClient, SubgraphUnavailableError } from '../../src/gateway/subgraph-transport';

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

describe('a subgraph connection reset before any answer', () => {
  it.each([
    { title: 'a query is sent once more and answered', query: true, answered: true, requests: 2 },
    { title: 'a mutation is never sent twice: it fails as unavailable', query: false, answered: false, requests: 1 },
  ])('$title', async ({ query, answered, requests }) => {
    const subgraph = await flakySubgraph();
    const client = new SubgraphHttpClient(2000);
    try {
      const sent = client.post('offers', subgraph.url, JSON.stringify({ query: query ? '{ offers { id } }' : 'mutation { openTicket { id } }' }), { 'content-type': 'application/json' }, { query });
      if (answered) {
        const response = await sent;
        expect(response.status).toBe(200);
        expect(JSON.parse(response.body)).toEqual({ data: { ok: true } });
      } else {
        await expect(sent).rejects.toBeInstanceOf(SubgraphUnavailableError);
      }
      expect(subgraph.requests()).toBe(requests);
    } finally {
      client.close();
      await subgraph.close();
    }
  });

  it('a subgraph slower than the timeout is unavailable, and the connection is dropped', async () => {
    // The subgraph's side of each connection, and when it closes: a client that gave up but kept the connection
    // open (or left it to the keep-alive pool) would leave it open until the client itself is closed.
    const connections: Array<{ socket: Socket; closed: Promise<void> }> = [];
    const slow = createServer((socket) => {
      connections.push({ socket, closed: new Promise<void>((resolve) => socket.once('close', () => resolve())) });
      socket.once('data', () => undefined);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const client = new SubgraphHttpClient(200);
    try {
      await expect(client.post('weather', `http://127.0.0.1:${(slow.address() as AddressInfo).port}/graphql`, '{}', {}, { query: true })).rejects.toMatchObject({ name: 'SubgraphUnavailableError', subgraph: 'weather' });
      // Still before client.close(), which would close the pool's sockets whatever the timeout did.
      expect(connections).toHaveLength(1);
      await connections[0].closed;
      expect(connections[0].socket.destroyed).toBe(true);
    } finally {
      client.close();
      slow.close();
    }
  });
});
