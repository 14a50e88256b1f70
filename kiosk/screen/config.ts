/**
 * The screen server's options: one schema, a default for every key,
 * decoded once at start. The server binds 127.0.0.1 only (docs/screens.md:
 * the touchscreen's Chromium is on the same machine; nothing else may reach
 * the customer's keypad or the operator's PIN): any other host is refused
 * with ScreenError 'BIND_REFUSED' before a socket is opened.
 */
import { z } from 'zod';
import { ScreenError } from './errors.js';

/** The only address the screen listens on. */
export const SCREEN_HOST = '127.0.0.1';

const ms = (min: number, max: number, dflt: number) => z.number().int().min(min).max(max).default(dflt);

export const screenConfigSchema = z.strictObject({
  host: z.string().default(SCREEN_HOST),
  /** 0: the system picks a free port. */
  port: z.number().int().min(0).max(65535).default(0),
  /** A customer screen left idle this long goes back to the start, typed input cleared. */
  idleMs: ms(500, 600_000, 60_000),
  /** The result screen goes back to the start after this long. */
  resultMs: ms(500, 600_000, 15_000),
  /** SSE comment lines this often keep streams (and proxies) alive; operator sessions are checked then too. */
  heartbeatMs: ms(50, 120_000, 15_000),
  /** How often the agent's phase is polled for `state` events (phases change without an event too). */
  statePollMs: ms(50, 60_000, 1000),
  /**
   * Concurrent SSE streams, each kind its own slots: a runaway page cannot exhaust the kiosk, and
   * customer streams (unauthenticated on loopback) cannot take the operator's. The customer page
   * needs one (a reload briefly two).
   */
  maxCustomerStreams: z.number().int().min(1).max(16).default(4),
  maxOperatorStreams: z.number().int().min(1).max(16).default(4),
  /** Largest POST body (docs/screens.md: 1 KiB on the kiosk). */
  bodyLimit: z.number().int().min(64).max(65_536).default(1024),
  /** Operator session: idle lifetime. */
  sessionIdleMs: ms(1000, 3_600_000, 5 * 60_000),
  /** Wrong PINs in a row before the operator view locks, and for how long. */
  maxPinFailures: z.number().int().min(1).max(100).default(5),
  lockMs: ms(1000, 3_600_000, 5 * 60_000),
});

export type ScreenConfig = z.output<typeof screenConfigSchema>;
export type ScreenConfigInput = z.input<typeof screenConfigSchema>;

/** Decodes the options; a non-loopback host is 'BIND_REFUSED', any other bad value 'CONFIG_INVALID' naming the key. */
export function decodeScreenConfig(input: ScreenConfigInput): ScreenConfig {
  const r = screenConfigSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ScreenError('CONFIG_INVALID', `screen option ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  if (r.data.host !== SCREEN_HOST) throw new ScreenError('BIND_REFUSED', `the kiosk screen listens on ${SCREEN_HOST} only, not ${r.data.host}`);
  return r.data;
}
