/**
 * Small look-ups about the bench's own services: the PostgreSQL
 * postmaster's pid (the parent of a backend the bench connects to, so the
 * server found is the one at that URL and never the system's), and the CPU
 * profiles node --cpu-prof wrote (CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile).
 */
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';

export async function postgresPid(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const stat = readFileSync(`/proc/${backend}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } finally {
    await client.end();
  }
}

export async function profilesIn(dir: string): Promise<{ path: string; pid: number }[]> {
  const out: { path: string; pid: number }[] = [];
  for (const f of await readdir(dir)) {
    const m = /^CPU\.\d+\.\d+\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(f);
    if (m) out.push({ path: join(dir, f), pid: Number(m[1]) });
  }
  return out;
}
