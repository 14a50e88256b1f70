/** Renders `--help` text from command declarations, so help never drifts from parsing. */
import type { Command } from './command.js';

export function commandHelp(c: Command): string {
  const lines = [`Usage: cardline ${c.usage}`, '', c.summary];
  if (c.description) lines.push('', c.description.trim());
  const opts = Object.entries(c.options);
  lines.push('', 'Options:');
  const rows = opts.map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`;
    const def = o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : '';
    return [flag, `${o.description}${def}`] as const;
  });
  rows.push(['-h, --help', 'Show this help']);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  for (const [f, d] of rows) lines.push(`  ${f.padEnd(width)}${d}`);
  return `${lines.join('\n')}\n`;
}

/** Help for a group of commands (`cardline`, `cardline sim`). */
export function groupHelp(prefix: string[], commands: Command[]): string {
  const below = commands.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const name = ['cardline', ...prefix].join(' ');
  const lines = [`Usage: ${name} <command> [options]`, '', 'Commands:'];
  const width = Math.max(...below.map((c) => c.path.join(' ').length)) + 2;
  for (const c of below) lines.push(`  ${c.path.join(' ').padEnd(width)}${c.summary}`);
  lines.push('', `Run '${name} <command> --help' for a command's options.`);
  return `${lines.join('\n')}\n`;
}
