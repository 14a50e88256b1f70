/** The simulated card OS (docs/sim-card.md). */
export { SimCard } from './sim-card.js';
export type { SimCardInspection, SimCardOptions } from './sim-card.js';
export type { SimCardProfileInput } from './profile.js';
export { DEFAULT_APP_AID_HEX, DEFAULT_ISD_AID_HEX, DEFAULT_KVN, DEFAULT_I, DEFAULT_PERSO_LEVEL, GP_TEST_KEY_HEX, kddOf } from './profile.js';
export { DEFAULT_ATR, buildAtr, checkAtr } from './atr.js';
export { REFERENCE_LATENCY, latencyMs } from './latency.js';
export type { LatencyModel } from './latency.js';
export type { PowerCutPlan } from './power-cut.js';
export { SimCardError, SimPowerCutError, isSimCardError, isSimPowerCutError } from './errors.js';
export type { PowerCutPhase, SimCardErrorCode } from './errors.js';
export { KCV_MARKER } from './perso-app.js';
export { APP_LIFE_CYCLE, CARD_LIFE_CYCLE } from './life-cycle.js';
export { IMAGE_FORMAT, IMAGE_VERSION, decodeImage, encodeImage } from './image-store.js';
