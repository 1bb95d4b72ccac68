import autocannon from 'autocannon';

export interface LoadResult {
  /** Responses per second (2xx only). */
  rps: number;
  /** Responses (2xx) in all. */
  requests: number;
  p50: number;
  p99: number;
  /** Mean latency in ms, to two decimals (the percentiles are whole milliseconds). */
  mean: number;
  non2xx: number;
  errors: number;
}

export interface LoadRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** POSTs the same GraphQL request over `connections` keep-alive connections for `seconds`, from this process. */
export async function load(request: LoadRequest, seconds: number, connections: number, warmup = false): Promise<LoadResult> {
  const result = await autocannon({
    url: request.url,
    method: 'POST',
    body: request.body,
    headers: { 'content-type': 'application/json', ...request.headers },
    connections,
    duration: seconds,
    timeout: 30,
  });
  const ok = result['2xx'];
  // A warm-up on a cold server may see no response end within its seconds; a measurement must.
  if ((ok === 0 && !warmup) || result.non2xx > 0 || result.errors > 0) {
    const statuses = Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => `${count}× ${code}`).join(', ');
    throw new Error(`${request.url}: ${ok} ok, ${result.non2xx} non-2xx, ${result.errors} errors under load (${statuses})`);
  }
  return { rps: ok / result.duration, requests: ok, p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average, non2xx: result.non2xx, errors: result.errors };
}
