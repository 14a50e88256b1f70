/** Card stock preparation (docs/provisioning.md §6): the runner over a card transport, the batch, its manifest. */
export { prepareCard, PREP_SECURITY_LEVEL, type PrepareCardInput, type StockCardTransport } from './prepare-card.js';
export { verifyPreparedCard } from './verify-card.js';
export { BatchPreparer, type BatchOptions, type CardFailure, type CardOutcome, type StockCard } from './batch.js';
export { BATCHES_DIR, manifestPath, refuseExistingManifest, writeManifest } from './manifest-file.js';
export { CardPrepError, StockError, type CardFailureReason, type StockErrorCode } from './errors.js';
