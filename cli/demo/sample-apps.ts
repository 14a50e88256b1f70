/**
 * Sample applications for `cardline demo`: what an issuer's back office
 * would load into the center. Each gets its own made-up cardholder data,
 * fresh random secret keys and PIN block, and a random one-time code.
 * The demo keeps them in memory only, to compare the issued cards with.
 */
import type { Dgi } from '../../card/dgi.js';
import type { ApplicationInput } from '../../center/application-input.js';
import { sampleApplication } from '../card-demo/sample.js';

export interface DemoApplication {
  input: ApplicationInput;
  /** Tags the issued card must refuse to read back. */
  secretTags: number[];
}

export function demoApplications(count: number, random: (n: number) => Uint8Array, runTag: string): DemoApplication[] {
  const apps: DemoApplication[] = [];
  for (let i = 1; i <= count; i++) {
    const sample = sampleApplication(random);
    const code = Array.from(random(8), (b) => String(b % 10)).join('');
    apps.push({
      input: { id: `DEMO-${runTag}-${String(i).padStart(4, '0')}`, code, profile: 'cardline-basic', dgis: sample.dgis.map((d: Dgi) => ({ tag: d.tag, value: d.value })) },
      secretTags: sample.secretTags,
    });
  }
  return apps;
}
