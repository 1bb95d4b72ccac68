import { createServer } from 'http';

/**
 * The ceiling: a bare node:http server that reads the request and answers with the same JSON a real `viewer`
 * query returned (BODY), from memory. Nothing a GraphQL server does can be faster on this machine.
 */
const body = Buffer.from(process.env.BODY ?? '{}');
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`ceiling at ${JSON.stringify(server.address())}`));
