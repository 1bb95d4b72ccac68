/** A ratio or figure measured once per round: its median and the range over the rounds. */
export interface Measured {
  median: number;
  min: number;
  max: number;
  /** Every round's value, in order. */
  rounds: number[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function measured(rounds: readonly number[], digits = 3): Measured {
  const round = (v: number) => Number(v.toFixed(digits));
  return { median: round(median(rounds)), min: round(Math.min(...rounds)), max: round(Math.max(...rounds)), rounds: rounds.map(round) };
}

export const geometricMean = (values: readonly number[]): number => Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);

/** A percentile of a list of samples (nearest rank). */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Runs every variant once per round, starting each round one variant later, so that a variant is not always the
 * one that runs first (or right after the same neighbour) while the machine's load drifts.
 */
export async function alternate<V extends string, R>(variants: readonly V[], rounds: number, run: (variant: V, round: number) => Promise<R>): Promise<Array<Record<V, R>>> {
  const results: Array<Record<V, R>> = [];
  for (let round = 0; round < rounds; round++) {
    const result = {} as Record<V, R>;
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + round) % variants.length];
      result[variant] = await run(variant, round);
    }
    results.push(result);
  }
  return results;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
