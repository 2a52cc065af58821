/* The conversation's dynamic variables (system__caller_id, your own...), folded: they are many and rarely read. */
import type { CallItem } from '../api';
import { mapEntries, valueText } from '../format';

export function DynamicVariables({ call }: { call: CallItem }) {
  const variables = mapEntries(call.dynamic_variables);
  if (variables.length === 0) return null;
  return (
    <details class="card" data-testid="dynamic-variables">
      <summary>
        <h2>Dynamic variables ({variables.length})</h2>
      </summary>
      <dl class="pairs">
        {variables.map(([name, value]) => (
          <div key={name}>
            <dt>
              <code>{name}</code>
            </dt>
            <dd>{value === null ? <span class="muted">null</span> : valueText(value)}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
