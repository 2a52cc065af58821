import { LAST_UNIX_SECOND } from './events';

/** Earliest start and latest end over every span of an OTLP trace export, in unix seconds. */
export function otelCallWindow(traces: unknown): { start?: number; end?: number } {
  const toSeconds = (nanos: unknown) => {
    const seconds = typeof nanos === 'string' || typeof nanos === 'number' ? Number(nanos) / 1e9 : NaN;
    return seconds >= 0 && seconds <= LAST_UNIX_SECOND ? seconds : NaN;
  };
  let start = Infinity;
  let end = -Infinity;
  const resourceSpans = (traces as { resourceSpans?: unknown })?.resourceSpans;
  for (const resource of Array.isArray(resourceSpans) ? resourceSpans : []) {
    for (const scope of Array.isArray(resource?.scopeSpans) ? resource.scopeSpans : []) {
      for (const span of Array.isArray(scope?.spans) ? scope.spans : []) {
        const s = toSeconds(span?.startTimeUnixNano);
        const e = toSeconds(span?.endTimeUnixNano);
        if (Number.isFinite(s)) start = Math.min(start, s);
        if (Number.isFinite(e)) end = Math.max(end, e);
      }
    }
  }
  return { start: Number.isFinite(start) ? Math.floor(start) : undefined, end: Number.isFinite(end) ? Math.ceil(end) : undefined };
}
