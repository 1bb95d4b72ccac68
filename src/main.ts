import 'reflect-metadata';
import { loadConfig } from './config';
import { startPortico } from './gateway/server';

async function main(): Promise<void> {
  const config = loadConfig();
  const started = Date.now();
  const portico = await startPortico(config, (line) => console.log(line));
  const where = config.databaseUrl ? 'MySQL/MariaDB' : `SQLite in ${config.dataDir}`;
  console.log(`Portico (${config.policy} policy, ${where}) ready in ${Date.now() - started} ms at ${portico.url}`);
  if (config.playground) console.log(`Playground: open ${portico.url.replace(/\/graphql$/, '/playground')} (or ${portico.url}) in a browser`);
  console.log(`Mint a development token with: npm run token -- ${config.bootstrapEmail}`);
  const stop = async () => {
    await portico.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Errors whose message is the whole story, written for the person starting Portico: one line, no stack. */
const ONE_LINE = new Set(['ConfigError', 'PolicyFileError', 'DatabaseFileError', 'DatabaseConnectionError']);

main().catch((error: Error & { code?: string; port?: number }) => {
  if (error.code === 'EADDRINUSE') console.error(`port ${error.port} is in use: stop the other process, or set PORT (and PORTICO_METRICS_PORT) to a free one`);
  else console.error(ONE_LINE.has(error.name) ? error.message : error);
  process.exit(1);
});
