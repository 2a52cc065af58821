/**
 * The addresses ElevenLabs sends webhooks from, as it publishes them for allow-lists
 * (see the README's security section). Use with the construct's `allowedSourceIps`.
 */
export const ELEVENLABS_EGRESS_IPS = {
  us: ['34.67.146.145', '34.59.11.47'],
  eu: ['35.204.38.71', '34.147.113.54'],
  asia: ['35.185.187.110', '35.247.157.189'],
  euResidency: ['34.77.234.246', '34.140.184.144'],
  indiaResidency: ['34.93.26.174', '34.93.252.69'],
  singaporeResidency: ['34.87.23.17', '34.126.179.103'],
} as const;

/** Every default-region address (US, EU, Asia): what a workspace without data residency uses. */
export const ELEVENLABS_DEFAULT_REGION_IPS: readonly string[] = [...ELEVENLABS_EGRESS_IPS.us, ...ELEVENLABS_EGRESS_IPS.eu, ...ELEVENLABS_EGRESS_IPS.asia];

/** The word that stands for {@link ELEVENLABS_DEFAULT_REGION_IPS} in `-c allowedSourceIps=...`. */
const ELEVENLABS_KEYWORD = 'elevenlabs';

/**
 * A list with the word `elevenlabs` (any case) replaced by ElevenLabs' default-region addresses,
 * so `elevenlabs,203.0.113.7` allows ElevenLabs and one address of your own. Other entries are
 * kept as they are, to be validated by the construct.
 */
export function expandElevenLabsKeyword(entries: readonly string[]): string[] {
  return entries.flatMap((entry) => (entry.trim().toLowerCase() === ELEVENLABS_KEYWORD ? ELEVENLABS_DEFAULT_REGION_IPS : [entry]));
}
