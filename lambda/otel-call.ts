import { LAST_UNIX_SECOND } from './events';
import { ToolNames } from './transcript-counts';

/*
 * What an OpenTelemetry transcript (`post_call_transcription_otel`) says about the call, read in one
 * pass over its OTLP JSON spans.
 *
 * Only what ElevenLabs documents is read
 * (https://elevenlabs.io/docs/eleven-agents/customization/opentelemetry-traces, "Trace shape"):
 * one trace per delivery, a root span `elevenlabs.conversation`, one child span per transcript turn
 * (`elevenlabs.recv.user_transcript`, `elevenlabs.recv.agent_response`) and, under an agent
 * response, one span per tool call named `elevenlabs.tool.{name}`. The docs name no attribute that
 * carries the call's cost, termination reason, phone numbers, agent name or a tool's error, so none
 * is read: every attribute is ignored, whatever its type.
 *
 * Spans are ElevenLabs' to change and the payload is anyone's to forge: anything missing, of another
 * type or inherited rather than own counts as nothing, and nothing here throws.
 */

const ROOT_SPAN = 'elevenlabs.conversation';
const USER_TURN_SPAN = 'elevenlabs.recv.user_transcript';
const AGENT_TURN_SPAN = 'elevenlabs.recv.agent_response';
const TOOL_SPAN_PREFIX = 'elevenlabs.tool.';

/**
 * The item attributes the spans give, named and typed as the JSON transcription writes them
 * (lambda/transcript-counts.ts). Set only when the trace has its documented root span: a payload
 * without one is not a trace of a call, and zero turns would be a claim about it.
 */
export interface OtelCallAttributes {
  /** `elevenlabs.recv.user_transcript` spans: the transcript's user turns. */
  readonly user_turns?: number;
  /** `elevenlabs.recv.agent_response` spans: the transcript's agent turns. */
  readonly agent_turns?: number;
  /** `elevenlabs.tool.{name}` spans: one per tool call. */
  readonly tool_calls?: number;
  /** The `{name}`s of those spans; absent when none (DynamoDB refuses an empty set). */
  readonly tools_used?: ReadonlySet<string>;
}

export interface OtelCall {
  /** Earliest span start, unix seconds rounded down. */
  readonly start?: number;
  /** Latest span end, unix seconds rounded up. */
  readonly end?: number;
  readonly attributes: OtelCallAttributes;
}

type Json = Record<string, unknown>;

/** An own property of a plain JSON object: nothing from a prototype, nothing from an array. */
function own(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key) ? (value as Json)[key] : undefined;
}

const list = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/** OTLP JSON writes fixed64 nanoseconds as a decimal string; some senders write a number. */
function toSeconds(nanos: unknown): number {
  const seconds = typeof nanos === 'string' || typeof nanos === 'number' ? Number(nanos) / 1e9 : NaN;
  return seconds >= 0 && seconds <= LAST_UNIX_SECOND ? seconds : NaN;
}

const NOTHING: OtelCall = Object.freeze({ attributes: Object.freeze({}) });

/**
 * The call window and the documented counts of an OTLP trace export (`otlp_traces`).
 * @param cut receives `tools_used` when a tool name was cut or too many to keep
 */
export function otelCall(traces: unknown, cut: string[] = []): OtelCall {
  let start = Infinity;
  let end = -Infinity;
  let root = false;
  let userTurns = 0;
  let agentTurns = 0;
  let toolCalls = 0;
  const toolsUsed = new ToolNames();
  try {
    for (const resource of list(own(traces, 'resourceSpans'))) {
      for (const scope of list(own(resource, 'scopeSpans'))) {
        for (const span of list(own(scope, 'spans'))) {
          const s = toSeconds(own(span, 'startTimeUnixNano'));
          const e = toSeconds(own(span, 'endTimeUnixNano'));
          if (s < start) start = s;
          if (e > end) end = e;
          const name = own(span, 'name');
          if (typeof name !== 'string') continue;
          if (name === AGENT_TURN_SPAN) agentTurns++;
          else if (name === USER_TURN_SPAN) userTurns++;
          else if (name === ROOT_SPAN) root = true;
          else if (name.startsWith(TOOL_SPAN_PREFIX) && name.length > TOOL_SPAN_PREFIX.length) {
            toolCalls++;
            toolsUsed.add(name.slice(TOOL_SPAN_PREFIX.length));
          }
        }
      }
    }
  } catch {
    // Only a forged object can throw (a getter, a proxy); JSON cannot. Half a walk is no answer.
    return NOTHING;
  }
  const tools = root ? toolsUsed.stored('tools_used', cut) : undefined;
  const attributes: OtelCallAttributes = root ? { user_turns: userTurns, agent_turns: agentTurns, tool_calls: toolCalls, ...(tools ? { tools_used: tools } : {}) } : {};
  return {
    start: Number.isFinite(start) ? Math.floor(start) : undefined,
    end: Number.isFinite(end) ? Math.ceil(end) : undefined,
    attributes,
  };
}
