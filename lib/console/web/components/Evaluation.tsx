/* Each evaluation criterion of the call: its result, its score when numeric, and the rationale for it. */
import type { CallItem } from '../api';
import { mapEntries, valueText } from '../format';

const RESULT_CLASS: Record<string, string> = { success: 'pass', failure: 'fail' };

export function Evaluation({ call, absent }: { call: CallItem; absent?: string | null }) {
  const [results, scores, rationales] = [call.evaluation, call.evaluation_scores, call.evaluation_rationale].map((map) => new Map(mapEntries(map)));
  const criteria = [...new Set([...results.keys(), ...scores.keys(), ...rationales.keys()])];
  return (
    <section class="card" data-testid="evaluation" aria-labelledby="evaluation-heading">
      <h2 id="evaluation-heading">Evaluation</h2>
      {criteria.length === 0 ? (
        <p class="muted">{absent ?? "No evaluation criteria: add them to the agent's analysis settings in ElevenLabs to see each one judged here."}</p>
      ) : (
        <ul class="results">
          {criteria.map((criterion) => {
            const result = valueText(results.get(criterion));
            const score = scores.get(criterion);
            return (
              <li key={criterion} data-criterion={criterion}>
                <div class="result-head">
                  <span class="result-name">{criterion}</span>
                  {result && <span class={`badge result-${RESULT_CLASS[result] ?? 'other'}`}>{result}</span>}
                  {score !== undefined && score !== null && <span class="muted">score {valueText(score)}</span>}
                </div>
                {rationales.get(criterion) ? <p class="rationale">{valueText(rationales.get(criterion))}</p> : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
