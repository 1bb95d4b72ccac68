import { createConnection, createServer, type Server, type Socket } from 'net';

/** A TCP proxy a test controls: it forwards to a target until cut, then drops every connection and refuses new ones. */
export interface TcpProxy {
  port: number;
  /** Closes every open connection and stops listening: new connections are refused. */
  cut(): Promise<void>;
  /** Listens again on the same port and forwards new connections. */
  restore(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number, port = 0): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const listen = (server: Server, at: number) => new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  const newServer = () =>
    createServer((client) => {
      track(client);
      const upstream = createConnection({ host: targetHost, port: targetPort });
      track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });

  let server: Server | null = newServer();
  const boundPort = await listen(server, port);
  const close = async () => {
    const closing = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  return {
    port: boundPort,
    cut: close,
    async restore() {
      if (server) return;
      server = newServer();
      await listen(server, boundPort);
    },
    stop: close,
  };
}
