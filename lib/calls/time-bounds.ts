const UNIT_SECONDS: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * Unix seconds from a date (`2025-11-24`, read as UTC midnight), a date and time
 * (`2025-11-24T16:00Z`), or a span back from now (`30m`, `24h`, `7d`, `2w`).
 * @throws Error naming the accepted forms
 */
export function parseTimeBound(text: string, now: Date): number {
  const relative = /^(\d+)([mhdw])$/.exec(text.trim());
  if (relative) return Math.floor(now.getTime() / 1000) - Number(relative[1]) * UNIT_SECONDS[relative[2]];
  const millis = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? `${text.trim()}T00:00:00Z` : text);
  if (Number.isNaN(millis)) throw new Error(`Cannot read "${text}" as a time: use 2025-11-24, 2025-11-24T16:00Z, or 7d, 24h, 30m.`);
  return Math.floor(millis / 1000);
}
