import type { BatchingResult } from './batching';
import type { EngineResult } from './engine';
import { SECTIONS, type Section } from './options';
import type { OverheadResult } from './overhead';
import type { ScaleResult } from './scale';
import type { Measured } from './stats';
import type { StorageResult } from './storage';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  pinned?: { servers: string; load: string } | null;
}

export interface Settings {
  connections: number;
  seconds: number;
  warmup: number;
  rounds: number;
  quick: boolean;
  scales: number[];
  pinned?: { servers: string; load: string } | null;
}

/** The run a section's figures come from. */
export interface RunRecord {
  date: string;
  command: string;
  settings: Settings;
  machine: Machine;
  /** Where the record itself came from, when it was not written by the run. */
  note?: string;
}

/** What `npm run bench` writes to scripts/bench/results.json. */
export interface BenchResults {
  /** The last run written (which may have been of some sections only: see `runs`). */
  date: string;
  machine: Machine;
  command: string;
  settings: Settings;
  note: string;
  ratios: Record<string, Measured>;
  overhead?: OverheadResult;
  engine?: EngineResult;
  batching?: BatchingResult;
  scale?: ScaleResult;
  storage?: StorageResult;
  /** Per section, the run its figures come from. */
  runs: Partial<Record<Section, RunRecord>>;
}

/** One run's record, as every section it ran names it. */
export const runOf = (results: Pick<BenchResults, 'date' | 'command' | 'settings' | 'machine'>): RunRecord => ({ date: results.date, command: results.command, settings: results.settings, machine: results.machine });

/**
 * The results.json a run leaves: a run of every section replaces the file; a run of some sections replaces those
 * sections (and the ratios they give) and keeps the others' figures. Either way each section it ran names this run
 * in `runs`, and each section kept keeps the run it came from.
 */
export function mergeResults(previous: Partial<BenchResults> | undefined, current: Omit<BenchResults, 'runs'>, sections: readonly Section[]): BenchResults {
  const partial = sections.length < SECTIONS.length;
  const kept: Partial<BenchResults> = partial ? (previous ?? {}) : {};
  const run = runOf(current);
  const runs: BenchResults['runs'] = {};
  const merged: BenchResults = { ...kept, ...current, ratios: { ...(kept.ratios ?? {}), ...current.ratios }, runs };
  for (const section of SECTIONS) {
    const figures = sections.includes(section) ? current[section] : kept[section];
    (merged as unknown as Record<Section, unknown>)[section] = figures;
    if (figures === undefined) continue;
    const record = sections.includes(section) ? run : kept.runs?.[section];
    if (record) runs[section] = record;
  }
  return merged;
}
