/*
 * A filter form whose fields are the page's query string: submitting it navigates to the filtered
 * URL (so a filtered page is a link), and the fields show what the URL says. Plus the fields every
 * filter form has: the period, with presets.
 */
import type { ComponentChildren } from 'preact';
import type { Period } from '../api';
import { navigate } from '../router';

interface FilterFormProps {
  path: string;
  search: string;
  /** The names of the form's fields: they replace those in the query string; other parameters (limit...) are kept. */
  fields: readonly string[];
  /** Called when the form is submitted unchanged: the page loads its data again. */
  onReload: () => void;
  children: ComponentChildren;
}

export function FilterForm({ path, search, fields, onReload, children }: FilterFormProps) {
  const submit = (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const params = new URLSearchParams(search);
    params.delete('cursor');
    for (const name of fields) {
      const value = data.get(name);
      if (typeof value === 'string' && value.trim()) params.set(name, value.trim());
      else params.delete(name);
    }
    const query = params.toString();
    const href = `${path}${query ? `?${query}` : ''}`;
    if (href === path + search) onReload();
    else navigate(href);
  };
  // Keyed by the query string: going back or forward refills the fields from the URL.
  return (
    <form key={search} class="filters" data-testid="filters" role="search" aria-label="Filters" onSubmit={submit}>
      {children}
      <div class="filter-actions">
        <button type="submit">Apply</button>
        <a href={path}>Clear filters</a>
      </div>
    </form>
  );
}

const PRESETS = [
  ['24h', 'Last 24 hours', 86_400],
  ['7d', 'Last 7 days', 7 * 86_400],
  ['30d', 'Last 30 days', 30 * 86_400],
  ['90d', 'Last 90 days', 90 * 86_400],
  ['all', 'All calls', null],
] as const;

/**
 * The preset the page shows: the one in the URL, or, when the URL names no period, the one the
 * server applied (its answer says which period it read).
 */
function shownPreset(since: string, until: string, period: Period | null): string | undefined {
  if (until) return undefined;
  if (since) return since;
  if (!period) return undefined;
  if (period.since === null) return period.until === null ? 'all' : undefined;
  const span = (period.until ?? Date.now() / 1000) - period.since;
  return PRESETS.find(([, , secs]) => secs !== null && Math.abs(secs - span) < 300)?.[0];
}

/** Since and until (a date, or a span back from now such as 7d), and buttons for the usual spans. */
export function PeriodFields({ params, period }: { params: URLSearchParams; period: Period | null }) {
  const since = params.get('since') ?? '';
  const until = params.get('until') ?? '';
  const shown = shownPreset(since, until, period);
  const choose = (event: Event, preset: string) => {
    const form = (event.currentTarget as HTMLButtonElement).form;
    if (!form) return;
    (form.elements.namedItem('since') as HTMLInputElement).value = preset;
    (form.elements.namedItem('until') as HTMLInputElement).value = '';
    form.requestSubmit();
  };
  return (
    <fieldset class="period">
      <legend>Period</legend>
      <div class="presets">
        {PRESETS.map(([preset, label]) => (
          // The visible text is the accessible name (WCAG 2.5.3, label in name); the words are its title.
          <button type="button" key={preset} title={label} aria-pressed={shown === preset} onClick={(event) => choose(event, preset)}>
            {preset}
          </button>
        ))}
      </div>
      <Field name="since" label="Since" value={since} placeholder={since ? undefined : shown} hint="2025-11-24, 7d or all" />
      <Field name="until" label="Until" value={until} placeholder="now" hint="2025-11-30 or 1d" />
    </fieldset>
  );
}

interface FieldProps {
  name: string;
  label: string;
  value: string;
  placeholder?: string;
  hint?: string;
  type?: 'text' | 'search';
  list?: string;
}

/** A labelled text field, filled from the URL. */
export function Field({ name, label, value, placeholder, hint, type = 'text', list }: FieldProps) {
  const id = `filter-${name}`;
  return (
    <div class={`field field-${name}`}>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={name}
        type={type}
        defaultValue={value}
        placeholder={placeholder}
        list={list}
        aria-describedby={hint ? `${id}-hint` : undefined}
        autocomplete="off"
        spellcheck={false}
      />
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}
