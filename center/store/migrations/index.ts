/**
 * Every schema migration, in order. A migration is never edited once
 * released: a change is a new migration at the end (migrate.ts refuses a
 * database whose applied ids or names differ from this list's prefix).
 */
import { CORE_MIGRATION } from './001-core.js';
import { AUDIT_MIGRATION } from './002-audit.js';
import { READER_DESCRIPTORS_MIGRATION } from './003-reader-descriptors.js';
import { SEALING_KEYS_MIGRATION } from './004-sealing-keys.js';
import { CONSOLE_MIGRATION } from './005-console.js';
import { FLEET_MIGRATION } from './006-fleet.js';
import { ENROL_RETRY_MIGRATION } from './007-enrol-retry.js';
import { HELLO_DEADLINE_MIGRATION } from './008-hello-deadline.js';

export interface Migration {
  /** 1, 2, 3 … without gaps. */
  readonly id: number;
  /** A short stable name, checked against the database's record. */
  readonly name: string;
  /** One or more statements, run in one transaction. */
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [CORE_MIGRATION, AUDIT_MIGRATION, READER_DESCRIPTORS_MIGRATION, SEALING_KEYS_MIGRATION, CONSOLE_MIGRATION, FLEET_MIGRATION, ENROL_RETRY_MIGRATION, HELLO_DEADLINE_MIGRATION];
