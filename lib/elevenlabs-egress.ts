/* The addresses as ElevenLabs publishes them, per region; handed out as copies, never shared. */
const PUBLISHED = {
  us: ['34.67.146.145', '34.59.11.47'],
  eu: ['35.204.38.71', '34.147.113.54'],
  asia: ['35.185.187.110', '35.247.157.189'],
  euResidency: ['34.77.234.246', '34.140.184.144'],
  indiaResidency: ['34.93.26.174', '34.93.252.69'],
  singaporeResidency: ['34.87.23.17', '34.126.179.103'],
} as const;

/**
 * The addresses ElevenLabs sends webhooks from, as it publishes them for allow-lists (README,
 * "Security"), for the construct's `allowedSourceIps`. Each is a new array, yours to change.
 */
export class ElevenLabsEgress {
  /** United States (default region). */
  public static get us(): string[] {
    return [...PUBLISHED.us];
  }
  /** Europe (default region). */
  public static get eu(): string[] {
    return [...PUBLISHED.eu];
  }
  /** Asia (default region). */
  public static get asia(): string[] {
    return [...PUBLISHED.asia];
  }
  /** EU data residency. */
  public static get euResidency(): string[] {
    return [...PUBLISHED.euResidency];
  }
  /** India data residency. */
  public static get indiaResidency(): string[] {
    return [...PUBLISHED.indiaResidency];
  }
  /** Singapore data residency. */
  public static get singaporeResidency(): string[] {
    return [...PUBLISHED.singaporeResidency];
  }
  /** Every default-region address (US, EU, Asia): what a workspace without data residency uses. */
  public static get defaultRegions(): string[] {
    return [...PUBLISHED.us, ...PUBLISHED.eu, ...PUBLISHED.asia];
  }

  /**
   * A list with the word `elevenlabs` (any case) replaced by the default-region addresses, so
   * `elevenlabs,203.0.113.7` allows ElevenLabs and one address of your own. Other entries are
   * kept as they are, for the construct to validate.
   */
  public static expandKeyword(entries: string[]): string[] {
    return entries.flatMap((entry) => (entry.trim().toLowerCase() === 'elevenlabs' ? ElevenLabsEgress.defaultRegions : [entry]));
  }

  private constructor() {}
}
