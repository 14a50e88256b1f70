/**
 * Issue 3 point 6, "Happy path": a card issued end to end with real
 * components in one process — the center (Aedes behind mutual TLS, the
 * bridge, PGlite), a kiosk agent over mqtt.js, a simulated station with
 * simulated cards — checked on every side (happy-path.ts).
 */
import t from 'tap';
import { startRig } from '../../fixtures/rig.js';
import { happyPath } from './happy-path.js';

void t.test('one card issued end to end on PGlite', async (t) => {
  const rig = await startRig(t);
  await happyPath(t, rig);
});
