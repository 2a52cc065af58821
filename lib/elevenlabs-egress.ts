/** A list no caller can change under everyone else's feet. */
const addresses = (...list: string[]): string[] => Object.freeze(list) as string[];

/**
 * The addresses ElevenLabs sends webhooks from, as it publishes them for allow-lists (README,
 * "Security"), for the construct's `allowedSourceIps`.
 */
export class ElevenLabsEgress {
  /** United States (default region). */
  public static readonly US: string[] = addresses('34.67.146.145', '34.59.11.47');
  /** Europe (default region). */
  public static readonly EU: string[] = addresses('35.204.38.71', '34.147.113.54');
  /** Asia (default region). */
  public static readonly ASIA: string[] = addresses('35.185.187.110', '35.247.157.189');
  /** EU data residency. */
  public static readonly EU_RESIDENCY: string[] = addresses('34.77.234.246', '34.140.184.144');
  /** India data residency. */
  public static readonly INDIA_RESIDENCY: string[] = addresses('34.93.26.174', '34.93.252.69');
  /** Singapore data residency. */
  public static readonly SINGAPORE_RESIDENCY: string[] = addresses('34.87.23.17', '34.126.179.103');
  /** Every default-region address (US, EU, Asia): what a workspace without data residency uses. */
  public static readonly DEFAULT_REGIONS: string[] = addresses(...ElevenLabsEgress.US, ...ElevenLabsEgress.EU, ...ElevenLabsEgress.ASIA);

  /**
   * A list with the word `elevenlabs` (any case) replaced by the default-region addresses, so
   * `elevenlabs,203.0.113.7` allows ElevenLabs and one address of your own. Other entries are
   * kept as they are, for the construct to validate.
   */
  public static expandKeyword(entries: string[]): string[] {
    return entries.flatMap((entry) => (entry.trim().toLowerCase() === 'elevenlabs' ? ElevenLabsEgress.DEFAULT_REGIONS : [entry]));
  }

  private constructor() {}
}
