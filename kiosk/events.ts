/**
 * What the kiosk's screen shows: typed steps the agent emits on an injected
 * sink (the terminal front end today, the touchscreen UI later; DESIGN §1
 * "input/output terminal (214)").
 *
 * Events carry identifiers, reason codes and counts only: never card data,
 * keys or the customer's one-time code, so any front end may print them.
 */

export type KioskEvent =
  /** The MQTT link is up (S210). */
  | { type: 'connected' }
  /** The link went down; the agent reconnects by itself. */
  | { type: 'disconnected' }
  /** A new session was opened and `hello` sent. */
  | { type: 'session-open' }
  /** The station's reader passed authentication (DESIGN §3 step 2): the kiosk is ready for customers. */
  | { type: 'reader-authenticated'; reader: string }
  /** The station's reader failed authentication: issuance is not possible here. */
  | { type: 'reader-refused'; reader: string; reason: string }
  /** S310: the center refuses this kiosk. */
  | { type: 'refused'; reason: string; message: string }
  /** S230: the customer's request went to the center. */
  | { type: 'request-sent' }
  /** S230 refused (wrong code, locked, …), or refused locally (`local`). */
  | { type: 'request-refused'; reason: string; attemptsLeft?: number; local?: boolean }
  /** S240: a card is being taken from the hopper (or the one at the station is used: `recover`). */
  | { type: 'insert-card'; job: string; attempt: number; recover: boolean }
  /** S250: the card answered; the center is authenticating it. */
  | { type: 'card-read'; job: string }
  /** S260 passed: the center sent the script. */
  | { type: 'card-authenticated'; job: string; kind: 'write' | 'inspect'; apdus: number }
  /** S270: one APDU of the script done (1-based `index` of `total`). */
  | { type: 'writing'; job: string; index: number; total: number }
  /** S290: the responses went to the center, which verifies them. */
  | { type: 'verifying'; job: string }
  /** S255: the card was refused; another one will be tried. */
  | { type: 'card-refused'; job: string; reason: string }
  /** The card went to the reject bin. */
  | { type: 'card-captured'; job: string; ok: boolean }
  /** Success: the card went to the customer. */
  | { type: 'issued'; job: string; ok: boolean }
  /** The job ended without a card for the customer. */
  | { type: 'failed'; job: string; reason: string }
  /** Something the customer should know went wrong (`code` is a reason code). */
  | { type: 'error'; code: string };

export type KioskEventSink = (e: KioskEvent) => void;
