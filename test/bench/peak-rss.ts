/*
 * The peak RSS of a piece of work in this process: the kernel's high-water mark (VmHWM), reset just
 * before it (Linux: `5` to /proc/self/clear_refs), so synchronous peaks count and nothing earlier
 * (loading, parsing source maps) hides them. Elsewhere, RSS sampled every millisecond and at the end.
 */
import { readFileSync, writeFileSync } from 'node:fs';

function highWaterMark(): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface PeakRss {
  readonly baselineRss: number;
  /** The high-water mark when the kernel gives it, else the sampled peak. */
  readonly peakRss: number;
  /** RSS sampled whenever the event loop turns, and at the end: misses synchronous peaks (the method before VmHWM). */
  readonly sampledPeakRss: number;
  readonly method: 'VmHWM' | 'sampled';
}

export async function peakRssOf(work: () => Promise<unknown>): Promise<PeakRss> {
  let reset = false;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    reset = true;
  } catch {
    // not Linux, or not allowed: sampling only
  }
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 1);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const hwm = reset ? highWaterMark() : undefined;
  return { baselineRss, peakRss: Math.max(peakRss, hwm ?? 0), sampledPeakRss: peakRss, method: hwm === undefined ? 'sampled' : 'VmHWM' };
}
