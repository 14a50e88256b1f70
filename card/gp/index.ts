/**
 * GlobalPlatform commands (GPC v2.3.1 chapter 11, GPC Amd D §7): host-side
 * builders and response parsers, and the card-side command parsers and
 * response encoders the simulated card uses. One command per file.
 */
export * from './constants.js';
export * from './select.js';
export * from './get-data.js';
export * from './cplc.js';
export * from './card-data.js';
export * from './key-information.js';
export * from './get-status.js';
export * from './initialize-update.js';
export * from './install.js';
export * from './put-key.js';
export * from './store-data.js';
export * from './dek.js';
export * from './set-status.js';
export * from './perso-script.js';
