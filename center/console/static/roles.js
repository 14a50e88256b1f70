// What each console role may do (docs/screens.md, "Accounts, roles,
// sessions"). The page only hides what the role may not do; the server
// checks every write anyway (403 forbidden).

const RANK = { viewer: 0, operator: 1, admin: 2 };

/** The least role each action needs. */
const NEEDS = {
  'void-job': 'operator',
  'add-applications': 'operator',
  'revoke-kiosk': 'admin',
};

/** Whether `role` reaches `least` (an unknown role reaches nothing above viewer). */
export function atLeast(role, least) {
  return (RANK[role] ?? -1) >= RANK[least];
}

export function can(role, action) {
  const least = NEEDS[action];
  if (!least) throw new RangeError(`unknown action ${action}`);
  return atLeast(role, least);
}
