/*
 * A real MP3 of silence, built in code: MPEG-1 Layer III frames, 44.1 kHz, 32 kbit/s, mono, each a
 * 4-byte header and zeroed side information and main data (every granule empty: silence). A
 * browser decodes it, and its length is exact: 1152 samples a frame.
 */
const SAMPLES_PER_FRAME = 1152;
const SAMPLE_RATE = 44_100;
const BITRATE = 32_000;
/** 144 * bitrate / sample rate, rounded down; the padding bit adds a byte to some frames to keep the rate. */
const FRAME_BYTES = Math.floor((144 * BITRATE) / SAMPLE_RATE);

/** Frame header: sync, MPEG-1, Layer III, no CRC | bitrate index 1 (32k), 44.1 kHz, padding | mono. */
function header(padding: boolean): Buffer {
  return Buffer.from([0xff, 0xfb, 0x10 | (padding ? 0x02 : 0), 0xc0]);
}

export const MP3_FRAME_SECONDS = SAMPLES_PER_FRAME / SAMPLE_RATE;

/** At least `seconds` of silent MP3 (whole frames). */
export function silentMp3(seconds: number): Buffer {
  const frames = Math.ceil(seconds / MP3_FRAME_SECONDS);
  const parts: Buffer[] = [];
  // Padding as an encoder does: a frame gets the extra byte whenever the rest has built up to one.
  let rest = 0;
  const exact = (144 * BITRATE) / SAMPLE_RATE;
  for (let i = 0; i < frames; i++) {
    rest += exact - FRAME_BYTES;
    const padding = rest >= 1;
    if (padding) rest -= 1;
    const frame = Buffer.alloc(FRAME_BYTES + (padding ? 1 : 0));
    header(padding).copy(frame, 0);
    parts.push(frame);
  }
  return Buffer.concat(parts);
}
