/**
 * What every contract suite shares: one tap subtest per contract clause,
 * each on a fresh rig from the implementation's factory, skipped (with the
 * reason) when the rig lacks a capability the clause needs; and a check
 * that a promise rejects with a given typed error code. Not a test file.
 */
import t from 'tap';

/** The type of a tap subtest (the last overload of t.test takes just the callback). */
export type SubTest = Parameters<Parameters<typeof t.test>[0]>[0];

/** Asserts `p` rejects with an error `is(e, code)` accepts. */
export type Rejects<C extends string> = (p: Promise<unknown>, code: C, what: string) => Promise<void>;

export interface Rig {
  teardown(): Promise<void>;
}

/** Returns `withRig(title, needs, body)` for the suite `name` over `factory`'s rigs; `is` tells an error's code. */
export function rigTests<R extends Rig, C extends string>(name: string, factory: () => Promise<R>, is: (e: unknown, code: C) => boolean) {
  return (title: string, needs: (keyof R)[], body: (rig: R, t: SubTest, rejects: Rejects<C>) => Promise<void>): void => {
    void t.test(`${name}: ${title}`, async (t) => {
      const rig = await factory();
      t.teardown(() => rig.teardown());
      const missing = needs.filter((k) => rig[k] === undefined);
      if (missing.length > 0) {
        t.pass('skipped', { skip: `this rig cannot give ${missing.map(String).join(', ')}` });
        return;
      }
      const rejects: Rejects<C> = async (p, code, what) => {
        try {
          await p;
          t.fail(`${what}: resolved, expected ${code}`);
        } catch (e) {
          t.ok(is(e, code), `${what}: ${code}`, { got: (e as Error).message });
        }
      };
      await body(rig, t, rejects);
    });
  };
}
