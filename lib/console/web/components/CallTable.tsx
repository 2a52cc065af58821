/* The calls list as a table, newest first: one CallRow per call. */
import type { CallRow as Call } from '../api';
import { CallRow } from './CallRow';

export function CallTable({ calls }: { calls: Call[] }) {
  return (
    <div class="table-scroll">
      <table class="calls" data-testid="calls">
        <caption class="visually-hidden">Calls, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Agent</th>
            <th scope="col">Channel</th>
            <th scope="col">Number</th>
            <th scope="col" class="numeric">Duration</th>
            <th scope="col" class="numeric">Cost</th>
            <th scope="col">Outcome</th>
            <th scope="col">Title</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((call) => (
            <CallRow key={call.conversation_id} call={call} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
