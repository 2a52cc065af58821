import { Duration, Token } from 'aws-cdk-lib';

/*
 * Checks of the props at synth, each naming the prop and the rule it broke, so a mistake stops
 * `cdk synth` with a sentence rather than the deploy (or the first call) with a stack trace.
 */

type Unit = 'seconds' | 'minutes' | 'hours' | 'days';

/** A duration in whole `unit`s, from `min` to `max`: what the prop can be set to. */
export function wholeDuration(duration: Duration, unit: Unit, prop: string, min: number, max = Infinity): number {
  const convert = { seconds: () => duration.toSeconds(), minutes: () => duration.toMinutes(), hours: () => duration.toHours(), days: () => duration.toDays() }[unit];
  let value: number;
  try {
    value = convert();
  } catch {
    throw new Error(`${prop} must be whole ${unit}, not ${duration.toHumanString()}`);
  }
  const bound = max === Infinity ? `at least ${min} ${min === 1 ? unit.slice(0, -1) : unit}` : `from ${min} to ${max} ${unit}`;
  if (value < min || value > max) throw new Error(`${prop} must be ${bound}, not ${duration.toHumanString()}`);
  return value;
}

/** A whole number from `min` to `max` (a deploy-time token is left to CloudFormation). */
export function wholeNumber(value: number | undefined, prop: string, min: number, max = Infinity, why = ''): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} must be a whole number ${max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`}, not ${value}${why ? `: ${why}` : ''}`);
  }
}
