// Memory of a running process from /proc/<pid>/status: resident set now and its peak, and a sampler for growth.
import { readFileSync } from 'node:fs';

export interface Memory {
  /** VmRSS in MB. */
  readonly rssMb: number;
  /** VmHWM (peak resident set since start) in MB. */
  readonly peakRssMb: number;
}

function fieldKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc status`);
  return Number(match[1]);
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssMb: round1(fieldKb(status, 'VmRSS') / 1024), peakRssMb: round1(fieldKb(status, 'VmHWM') / 1024) };
}

/** Samples VmRSS every `everyMs` until stopped; returns the highest sample. */
export function sampleRss(pid: number, everyMs = 100): { stop(): { maxRssMb: number; samples: number } } {
  let max = memoryOf(pid).rssMb;
  let samples = 1;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, memoryOf(pid).rssMb);
      samples += 1;
    } catch {
      // The process went away; the samples so far stand.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        max = Math.max(max, memoryOf(pid).rssMb);
      } catch {
        // As above.
      }
      return { maxRssMb: max, samples };
    },
  };
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
