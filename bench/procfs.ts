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

/** Clock ticks a second in /proc/<pid>/stat (USER_HZ: 100 on Linux, whatever the kernel's own HZ). */
const USER_HZ = 100;

/** CPU time a process has used so far, user and system, in seconds (/proc/<pid>/stat fields 14 and 15). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after it start past its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}
