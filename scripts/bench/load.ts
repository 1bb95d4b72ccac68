import autocannon from 'autocannon';

export interface LoadResult {
  /** Correct answers per second: 2xx responses that are the GraphQL answer expected, not an error. */
  rps: number;
  /** Correct answers in all. */
  requests: number;
  p50: number;
  p99: number;
  /** Mean latency in ms, to two decimals (the percentiles are whole milliseconds). */
  mean: number;
  non2xx: number;
  errors: number;
  /** 2xx responses whose body was not the answer expected: a GraphQL error (`{"errors": [...]}`) answered with 200. */
  graphqlErrors: number;
  /** How many responses came with each status, e.g. `98× 200, 2× 503`. */
  statuses: string;
}

export interface LoadRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  /**
   * How many GraphQL errors a correct answer carries (fields the server filters out, answered as errors beside the
   * data); 0 when unset. An answer without data, or with another number of errors, is counted as an error.
   */
  expectedErrors?: number;
}

/**
 * Whether a response body is the GraphQL answer expected: an object with data and `expectedErrors` errors. The last
 * body found correct is kept, and a body equal to it is correct without being parsed again, so a run of identical
 * answers costs one string comparison each.
 */
export function answerCheck(expectedErrors = 0): (body: string) => boolean {
  let correct: string | undefined;
  return (body) => {
    if (body === correct) return true;
    let answer: { data?: unknown; errors?: unknown };
    try {
      answer = JSON.parse(body) as typeof answer;
    } catch {
      return false;
    }
    const errors = Array.isArray(answer?.errors) ? answer.errors.length : answer?.errors === undefined ? 0 : -1;
    const ok = answer !== null && typeof answer === 'object' && answer.data !== null && answer.data !== undefined && errors === expectedErrors;
    if (ok) correct = body;
    return ok;
  };
}

/**
 * POSTs the same GraphQL request over `connections` keep-alive connections for `seconds`, from this process, and counts
 * what came back: only correct answers count as throughput.
 */
/** Requests per connection each load sends instead of running for its seconds; unset, loads run for their seconds. */
let requestsPerConnection: number | undefined;

/**
 * Makes every load from now on send `count` requests per connection and stop, whatever its seconds: a smoke run's
 * loads then end as soon as they have their answers, however slow or cold the server.
 */
export function loadByCount(count: number | undefined): void {
  requestsPerConnection = count;
}

export async function measureLoad(request: LoadRequest, seconds: number, connections: number): Promise<LoadResult> {
  const correct = answerCheck(request.expectedErrors);
  let wrong = 0;
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: request.url,
    method: 'POST',
    body: request.body,
    headers: { 'content-type': 'application/json', ...request.headers },
    // Every 2xx body is checked as it arrives; other statuses are counted by autocannon as non-2xx.
    requests: [{ onResponse: (status: number, body: string) => void (status >= 200 && status < 300 && !correct(body) && wrong++) }],
    connections,
    duration: seconds,
    // autocannon ends a run at its next sample: every second by default, every 20 ms when counting requests.
    ...(requestsPerConnection ? { amount: requestsPerConnection * connections, sampleInt: 20 } : {}),
    timeout: 30,
  });
  // autocannon reports its duration in hundredths of a second: too coarse for a few requests on a fast server.
  const duration = requestsPerConnection ? Number(process.hrtime.bigint() - started) / 1e9 : result.duration;
  const graphqlErrors = Math.min(wrong, result['2xx']);
  const ok = result['2xx'] - graphqlErrors;
  const statuses = Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => `${count}× ${code}`).join(', ');
  return { rps: ok / duration, requests: ok, p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average, non2xx: result.non2xx, errors: result.errors, graphqlErrors, statuses };
}

/** `measureLoad`, refusing a run with any failure: a load of errors would measure nothing. */
export async function load(request: LoadRequest, seconds: number, connections: number, warmup = false): Promise<LoadResult> {
  const result = await measureLoad(request, seconds, connections);
  // A warm-up on a cold server may see no response end within its seconds; a measurement must.
  if ((result.requests === 0 && !warmup) || result.non2xx > 0 || result.errors > 0 || result.graphqlErrors > 0) {
    throw new Error(`${request.url}: ${result.requests} correct answers, ${result.graphqlErrors} GraphQL errors with status 2xx, ${result.non2xx} non-2xx, ${result.errors} errors under load (${result.statuses})`);
  }
  return result;
}
