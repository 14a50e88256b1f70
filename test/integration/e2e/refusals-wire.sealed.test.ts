/**
 * refusals-wire.test.ts with every kiosk in sealed mode (DESIGN §3 "Sealed
 * mode"): the rig registers the kiosks as CARDLINE_TEST_MODE says
 * (test/fixtures/rig.ts rigMode), so the same refusals are proved when the
 * center sends packages instead of scripts.
 */
process.env.CARDLINE_TEST_MODE = 'sealed';
await import('./refusals-wire.test.js');
