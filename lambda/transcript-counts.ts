import { figure, isJsonObject, nonEmptyText, wellFormed } from './storable';

/*
 * What happened in a call, counted from its transcript turns, so that nobody opens the transcript
 * in S3 to know it. One pass over plain JSON: turns are ElevenLabs' to change, so anything missing
 * or of another type counts as nothing rather than failing the call.
 */

export interface TranscriptCounts {
  readonly user_turns: number;
  readonly agent_turns: number;
  readonly interrupted_turns: number;
  readonly tool_calls: number;
  /** Tool results with `is_error`. */
  readonly tool_errors: number;
  /** Names of the tools called; absent when none (DynamoDB refuses an empty set). */
  readonly tools_used?: ReadonlySet<string>;
  /** Names of the tools whose result was an error. */
  readonly tools_errored?: ReadonlySet<string>;
  /** Median over agent turns of the LLM's time to first byte, in seconds. */
  readonly llm_ttfb_p50_secs?: number;
}

type Json = Record<string, unknown>;

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Real payloads wrap the turn metrics as `{metrics: {...}}`; the docs' example does not. */
function llmTtfbSecs(turn: Json): number | undefined {
  const recorded = turn.conversation_turn_metrics;
  if (!isJsonObject(recorded)) return undefined;
  const metrics = isJsonObject(recorded.metrics) ? recorded.metrics : recorded;
  const ttfb = metrics.convai_llm_service_ttfb;
  const elapsed = isJsonObject(ttfb) ? figure(ttfb.elapsed_time) : undefined;
  return elapsed !== undefined && elapsed >= 0 ? elapsed : undefined;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  const middle = values.length >> 1;
  if (values.length % 2 === 1) return values[middle];
  // To the microsecond: the mean of two middles must not print as 0.33099999999999996.
  return Math.round(((values[middle - 1] + values[middle]) / 2) * 1e6) / 1e6;
}

/**
 * Tool names kept per set: function-calling LLMs cap a name at 64 characters, and a call uses a
 * handful. The bounds make the sets small enough never to be left out of the item (12 KB each).
 */
export const MAX_TOOL_NAME_CHARS = 64;
export const MAX_TOOL_NAMES = 64;

/** A set of tool names within the bounds; `cut` when a name was shortened or one past the count left out. */
export class ToolNames {
  readonly names = new Set<string>();
  cut = false;

  add(value: unknown): void {
    const name = nonEmptyText(value);
    if (name === undefined) return;
    const kept = wellFormed(name.length > MAX_TOOL_NAME_CHARS ? name.slice(0, MAX_TOOL_NAME_CHARS) : name);
    if (kept !== name) this.cut = true;
    if (this.names.has(kept)) return;
    if (this.names.size >= MAX_TOOL_NAMES) this.cut = true;
    else this.names.add(kept);
  }

  /** The set, or undefined when empty (DynamoDB refuses an empty set); its attribute named in `cut` if shortened. */
  stored(attribute: string, cut: string[]): ReadonlySet<string> | undefined {
    if (this.cut) cut.push(attribute);
    return this.names.size > 0 ? this.names : undefined;
  }
}

/**
 * The counts of a transcript (the `transcript` list of turns).
 * @param cut receives `tools_used` / `tools_errored` when a name was cut or too many to keep
 */
export function countTranscript(turns: readonly unknown[], cut: string[] = []): TranscriptCounts {
  let user = 0;
  let agent = 0;
  let interrupted = 0;
  let toolCalls = 0;
  let toolErrors = 0;
  const used = new ToolNames();
  const errored = new ToolNames();
  const ttfbs: number[] = [];
  for (const turn of turns) {
    if (!isJsonObject(turn)) continue;
    // A contextual update (the client telling the agent what the user does) is no spoken turn.
    if (turn.role === 'user' && turn.contextual_update_info == null) user++;
    if (turn.role === 'agent') {
      agent++;
      const ttfb = llmTtfbSecs(turn);
      if (ttfb !== undefined) ttfbs.push(ttfb);
    }
    if (turn.interrupted === true) interrupted++;
    for (const call of listOf(turn.tool_calls)) {
      if (!isJsonObject(call)) continue;
      toolCalls++;
      used.add(call.tool_name);
    }
    for (const result of listOf(turn.tool_results)) {
      if (!isJsonObject(result) || result.is_error !== true) continue;
      toolErrors++;
      errored.add(result.tool_name);
    }
  }
  return {
    user_turns: user,
    agent_turns: agent,
    interrupted_turns: interrupted,
    tool_calls: toolCalls,
    tool_errors: toolErrors,
    tools_used: used.stored('tools_used', cut),
    tools_errored: errored.stored('tools_errored', cut),
    llm_ttfb_p50_secs: median(ttfbs),
  };
}
