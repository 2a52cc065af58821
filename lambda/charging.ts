import { figure, isJsonObject, setOwn } from './storable';

/*
 * What a call cost, broken down as users sum it: ElevenLabs' `metadata.charging` without its
 * per-service usage detail, plus LLM token totals per model. The full object stays in the
 * transcription in S3.
 */

/** The figures kept: prices in USD, charges in credits, free allowances used (numbers, a numeric string read as one). */
const FIGURES = ['llm_price', 'llm_charge', 'call_charge', 'platform_price', 'platform_charge', 'free_minutes_consumed', 'free_llm_dollars_consumed'] as const;
/** Kept as sent: the plan tier, and whether the call was a burst or discounted. */
const AS_SENT = ['tier', 'is_burst', 'dev_discount'] as const;

/** Token counts of one model: input (cache reads and writes included) and output. */
export interface ModelTokens {
  input?: number;
  output?: number;
}

type Json = Record<string, unknown>;
const isScalar = (value: unknown) => typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

/** `{tokens, price}` of one category, or nothing. */
function tokensOf(category: unknown): number | undefined {
  return isJsonObject(category) ? figure(category.tokens) : undefined;
}

function sum(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0);
}

/** A model's token counts added to what other generation categories already counted for it. */
function addTokens(total: ModelTokens | undefined, categories: Json): ModelTokens | undefined {
  const input = sum([tokensOf(categories.input), tokensOf(categories.input_cache_read), tokensOf(categories.input_cache_write)]);
  const output = tokensOf(categories.output_total);
  if (input === undefined && output === undefined) return total;
  return { input: sum([total?.input, input]), output: sum([total?.output, output]) };
}

/**
 * Tokens per model over every generation category: the SDK's `llm_usage` holds
 * `irreversible_generation` and `initiated_generation`, each `{model_usage: {model: usage}}`, and a
 * model may appear in both. A `llm_usage` that is itself `{model_usage}` (a turn's shape) is read too.
 */
function tokensByModel(usage: unknown): Record<string, ModelTokens> | undefined {
  if (!isJsonObject(usage)) return undefined;
  const groups = [usage, ...Object.keys(usage).map((category) => usage[category])];
  const out: Record<string, ModelTokens> = {};
  let any = false;
  for (const group of groups) {
    const models = isJsonObject(group) ? group.model_usage : undefined;
    if (!isJsonObject(models)) continue;
    for (const model of Object.keys(models)) {
      const categories = models[model];
      if (!isJsonObject(categories)) continue;
      const counted = addTokens(Object.hasOwn(out, model) ? out[model] : undefined, categories);
      if (counted === undefined) continue;
      setOwn(out, model, counted);
      any = true;
    }
  }
  return any ? out : undefined;
}

/** The `charging` attribute: what the call's charging says of these, or undefined when nothing. */
export function chargingSummary(charging: Json | undefined): Json | undefined {
  if (!charging) return undefined;
  const out: Json = {};
  let any = false;
  for (const name of FIGURES) {
    const value = figure(charging[name]);
    if (value === undefined) continue;
    out[name] = value;
    any = true;
  }
  for (const name of AS_SENT) {
    const value = charging[name];
    if (!isScalar(value)) continue;
    out[name] = value;
    any = true;
  }
  const tokens = tokensByModel(charging.llm_usage);
  if (tokens) {
    out.llm_tokens = tokens;
    any = true;
  }
  return any ? out : undefined;
}
