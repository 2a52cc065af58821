/* Each value ElevenLabs collected from the call (data collection), with the rationale for it. */
import type { CallItem } from '../api';
import { mapEntries, valueText } from '../format';

export function DataCollection({ call, absent }: { call: CallItem; absent?: string | null }) {
  const [values, rationales] = [call.data_collection, call.data_collection_rationale].map((map) => new Map(mapEntries(map)));
  const fields = [...new Set([...values.keys(), ...rationales.keys()])];
  return (
    <section class="card" data-testid="data-collection" aria-labelledby="data-collection-heading">
      <h2 id="data-collection-heading">Collected data</h2>
      {fields.length === 0 ? (
        <p class="muted">{absent ?? "Nothing collected: add data collection fields to the agent's analysis settings in ElevenLabs."}</p>
      ) : (
        <dl class="results">
          {fields.map((field) => {
            const value = values.get(field);
            return (
              <div key={field} data-field={field}>
                <dt class="result-name">{field}</dt>
                <dd>
                  {value === null || value === undefined ? <span class="muted">not collected</span> : <span class="collected">{valueText(value)}</span>}
                  {rationales.get(field) ? <p class="rationale">{valueText(rationales.get(field))}</p> : null}
                </dd>
              </div>
            );
          })}
        </dl>
      )}
    </section>
  );
}
