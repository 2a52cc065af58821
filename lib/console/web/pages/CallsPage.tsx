/*
 * The calls list (`/`, `/calls`): filters from the query string, a page of calls from /calls.json,
 * more pages with the `next` cursor, and empty states that say what to do.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, errorStatus, getJson, type CallRow, type CallsPage as Page, type Period, type Where } from '../api';
import { CallFilters, CALL_FILTERS } from '../components/CallFilters';
import { CallTable } from '../components/CallTable';
import { MoreCalls } from '../components/MoreCalls';
import { Empty, Loading, LoadFailure } from '../components/Status';
import { formatTime, periodText, TIME_ZONE } from '../format';
import type { Location } from '../router';
import { useTitle } from '../title';

interface List {
  calls: CallRow[];
  next: string | null;
  period: Period | null;
  agents: Page['agents'];
  /** What the console reads (local or a stack), once the server has said. */
  where: Where | null;
  loading: boolean;
  error: { message: string; status: number | null } | null;
}

const FIRST_LOAD: List = { calls: [], next: null, period: null, agents: [], where: null, loading: true, error: null };

export function CallsPage({ path, search }: Location) {
  useTitle('Calls');
  const [list, setList] = useState<List>(FIRST_LOAD);
  const [reloads, setReloads] = useState(0);
  // Each first page starts a new generation: pages of an older query that arrive late are dropped.
  const generation = useRef(0);

  const load = useCallback(
    async (cursor: string | null, from: number) => {
      const params = new URLSearchParams(search);
      // Plain dates in since and until are whole days in the browser's time zone.
      params.set('tz', TIME_ZONE);
      if (cursor) params.set('cursor', cursor);
      try {
        const page = await getJson<Page>(`/calls.json?${params}`);
        if (from !== generation.current) return;
        setList((before) => {
          const calls = cursor ? appendNew(before.calls, page.calls) : page.calls;
          const where = page.where && typeof page.where.local === 'boolean' ? page.where : before.where;
          return { calls, next: page.next, period: page.period, agents: mergeAgents(before.agents, page.agents), where, loading: false, error: null };
        });
      } catch (error) {
        if (from === generation.current) setList((before) => ({ ...before, loading: false, error: { message: errorMessage(error), status: errorStatus(error) } }));
      }
    },
    [search],
  );

  useEffect(() => {
    generation.current += 1;
    setList((before) => ({ ...FIRST_LOAD, agents: before.agents, where: before.where }));
    void load(null, generation.current);
  }, [load, reloads]);

  const more = useCallback(() => {
    if (list.loading || !list.next) return;
    setList((before) => ({ ...before, loading: true, error: null }));
    void load(list.next, generation.current);
  }, [list.loading, list.next, load]);

  const params = new URLSearchParams(search);
  // The period alone is not a filter a person would clear: with it, the list is simply empty so far.
  const filtered = CALL_FILTERS.some((name) => name !== 'since' && name !== 'until' && params.get(name));
  const reload = () => setReloads((n) => n + 1);
  return (
    <main id="main">
      <h1 tabIndex={-1}>Calls</h1>
      <CallFilters path={path} search={search} agents={list.agents} period={list.period} onReload={reload} />
      <PeriodNote period={list.period} filtered={filtered} searching={Boolean(params.get('q'))} />
      {list.calls.length > 0 && <CallTable calls={list.calls} />}
      {list.loading && list.calls.length === 0 && <Loading what="calls" />}
      {list.error && <LoadFailure message={list.error.message} status={list.error.status} path={path} onRetry={list.calls.length ? more : reload} />}
      {!list.loading && !list.error && list.calls.length === 0 && <NoCalls filtered={filtered} path={path} period={list.period} where={list.where} />}
      {list.next && list.calls.length > 0 && <MoreCalls loading={list.loading} auto={!list.error} onMore={more} />}
      {!list.next && !list.loading && list.calls.length > 0 && (
        <p class="status">
          {list.calls.length === 1 ? 'One call' : `${list.calls.length} calls`} in this period: that is all of them.
        </p>
      )}
    </main>
  );
}

/** What the list holds, and what the period costs: the server reads only calls that started in it (all of them for a search). */
function PeriodNote({ period, filtered, searching }: { period: Period | null; filtered: boolean; searching: boolean }) {
  const bounded = Boolean(period && (period.since || period.until));
  const what = filtered ? (bounded ? `${periodText(period).replace(/^Calls/, 'Calls matching these filters')}` : 'Calls matching these filters') : periodText(period);
  return (
    <p class="period-note" data-testid="period-note">
      {what}, newest first.{' '}
      {searching
        ? 'The search reads every call in the period: a shorter period answers faster.'
        : 'A text search reads every call in the period (its titles and summaries): a shorter period answers faster.'}
    </p>
  );
}

function NoCalls({ filtered, path, period, where }: { filtered: boolean; path: string; period: Period | null; where: Where | null }) {
  const since = period?.since ? formatTime(period.since) : '';
  if (filtered) {
    return (
      <Empty>
        <p>No calls match these filters{since ? ' in this period' : ''}.</p>
        <p>
          <a href={path}>Clear the filters</a>
          {since ? ' or choose a longer period.' : '.'}
        </p>
      </Empty>
    );
  }
  const allCalls = since && (
    <p>
      Only calls since {since} are read: <a href={`${path}?since=all`}>look at all calls</a>.
    </p>
  );
  // Reading a deployed stack: calls stored before the month index came are listed once rebuilt.
  if (where?.local === false) {
    const stack = /^stack (\S+)/.exec(where.description ?? '')?.[1] ?? '<name>';
    return (
      <Empty>
        <p>No calls with a start time in this period.</p>
        <p>
          Calls stored before this release are listed once <code>{`npm run calls -- rebuild --keys-only --stack ${stack}`}</code> has given them their month key.
        </p>
        {allCalls}
      </Empty>
    );
  }
  return (
    <Empty>
      {since ? (
        <>
          <p>No calls started in this period.</p>
          {allCalls}
          <p>
            Or send one with <code>npm run send</code>.
          </p>
        </>
      ) : (
        <p>
          No calls yet: send one with <code>npm run send</code>.
        </p>
      )}
    </Empty>
  );
}

function appendNew(calls: CallRow[], page: CallRow[]): CallRow[] {
  const seen = new Set(calls.map((call) => call.conversation_id));
  return [...calls, ...page.filter((call) => !seen.has(call.conversation_id))];
}

function mergeAgents(known: Page['agents'], page: Page['agents'] | undefined): Page['agents'] {
  const byId = new Map(known.map((agent) => [agent.agent_id, agent]));
  for (const agent of page ?? []) if (!byId.has(agent.agent_id) || agent.agent_name) byId.set(agent.agent_id, agent);
  return [...byId.values()];
}
