/**
 * The demo's independent check (issue 3 point 5): the issued card is read
 * back through the simulator — as the customer's own reader would — not
 * from the center's records. Every plain DGI must equal what the
 * application holds, every secret DGI must be refused, and key check values
 * must match.
 */
import { CardHostSession } from '../../card/host-session.js';
import { selectByAid } from '../../card/gp/select.js';
import { CARDLINE_APP_AID } from '../../card/gp/constants.js';
import { readCardImage } from '../../hardware/sim/read-card.js';
import { checkPlain, checkSecret } from '../card-demo/flow.js';
import type { DemoApplication } from './sample-apps.js';

export async function readBackCard(imagePath: string, app: DemoApplication, report: (line: string) => void): Promise<string[]> {
  return readCardImage(imagePath, {
    run: async (transmit) => {
      const session = new CardHostSession(transmit);
      await session.sendOk(selectByAid(CARDLINE_APP_AID), 'SELECT application');
      const problems: string[] = [];
      for (const dgi of app.input.dgis) {
        const p = app.secretTags.includes(dgi.tag) ? await checkSecret(session, dgi, report) : await checkPlain(session, dgi, report);
        if (p) problems.push(p);
      }
      return problems;
    },
  });
}
