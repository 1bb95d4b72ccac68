import { Writable } from 'stream';

/** Collects every log line Portico writes: as written (`lines`), and parsed (`records`). */
export function logSink(): { stream: Writable; lines: string[]; records(): Array<Record<string, any>> } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
      done();
    },
  });
  return { stream, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, any>) };
}
