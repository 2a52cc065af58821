/* A call's outcome in words and colour; a failed call's error (or why it never connected) beside it. */
import type { Outcome } from '../api';
import { outcomeLabel } from '../format';

export function OutcomeBadge({ outcome, detail }: { outcome: Outcome | null; detail?: string | null }) {
  return (
    <span class="outcome" title={detail ?? undefined}>
      <span class={`badge outcome-${outcome ?? 'none'}`}>{outcomeLabel(outcome)}</span>
      {detail && <small class="outcome-detail">{detail}</small>}
    </span>
  );
}
