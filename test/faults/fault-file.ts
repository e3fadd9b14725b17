/**
 * What every fault file does around its tests: capture everything it prints and answers
 * from the first test on, collect the secret values its sandboxes minted, and at the end
 * scan the capture for them and write the file's figures for the summary.
 */
import { Capture } from './capture.js';
import { type Figures, writeFigures } from './figures.js';

export interface FaultFile {
  capture: Capture;
  /** Adds secret values minted in this file's run (issued tokens). */
  minted(values: Iterable<string>): void;
  /** Scans the capture for every minted value (once; later calls answer the same). */
  scan(): { values: number; texts: number; hits: string[] };
  /** Stops capturing and writes `figures` plus this file's hygiene figures. */
  finish(figures: Figures): void;
}

export function faultFile(name: string): FaultFile {
  const capture = new Capture().install();
  const values = new Set<string>();
  let scanned: ReturnType<Capture['scan']> | undefined;
  const scan = () => {
    scanned ??= capture.scan([...values]);
    return scanned;
  };
  return {
    capture,
    minted(more) {
      for (const v of more) values.add(v);
    },
    scan,
    finish(figures) {
      const result = scan();
      capture.uninstall();
      writeFigures(name, {
        ...figures,
        hygiene: { values: result.values, texts: result.texts, hits: result.hits.length },
      });
    },
  };
}
