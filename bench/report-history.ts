/**
 * The measurement history (bench/history.json): figures written down before the report generated
 * them, each with its date, the peers' figures from the same run, and the command. Loaded and
 * checked here, rendered into docs/benchmarks.md by bench/report.ts.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const entrySchema = z.strictObject({
  bench: z.string().min(1),
  /** YYYY-MM-DD, YYYY-MM, or null when the day was not recorded. */
  date: z
    .string()
    .regex(/^\d{4}-\d{2}(-\d{2})?$/)
    .nullable(),
  machine: z.string().min(1),
  what: z.string().min(1),
  figure: z.string().min(1),
  peers: z.string().min(1).optional(),
  load: z.string().min(1).optional(),
  bar: z.string().min(1).optional(),
  command: z.string().min(1),
  source: z.string().min(1),
  /** The bench's representative figure: the one the report and the README quote. */
  headline: z.literal(true).optional(),
});

const historySchema = z.strictObject({
  $comment: z.string().optional(),
  machines: z.record(z.string(), z.string()),
  entries: z.array(entrySchema),
});

export type HistoryEntry = z.infer<typeof entrySchema>;
export type History = z.infer<typeof historySchema>;

/** Reads and checks the history file; an error names the file and the first bad field. */
export function loadHistory(file: string): History {
  const parsed = historySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.')}: ${issue.message}`);
  }
  for (const [i, e] of parsed.data.entries.entries())
    if (!(e.machine in parsed.data.machines))
      throw new Error(`${file}: entries.${i}.machine: unknown machine "${e.machine}"`);
  return parsed.data;
}

/** Escapes a table cell: pipes would end the cell, newlines the row. */
export function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** Markdown: the machines, then one table per bench, oldest entry first. */
export function renderHistory(history: History): string {
  const out: string[] = ['## History', ''];
  out.push(
    'Figures measured before this report generated them, from `bench/history.json` (add new ones there).',
    'Compare only figures from the same run: the peers column holds those.',
    '',
  );
  for (const [key, text] of Object.entries(history.machines)) out.push(`- \`${key}\`: ${text}`);
  const benches = [...new Set(history.entries.map((e) => e.bench))];
  for (const bench of benches) {
    out.push('', `### ${bench}`, '', '| date | what | figure | peers, same run | bar | load | command |');
    out.push('|---|---|---|---|---|---|---|');
    const rows = history.entries
      .filter((e) => e.bench === bench)
      .sort((a, b) => (a.date ?? '').localeCompare(b.date ?? ''));
    for (const e of rows)
      out.push(
        `| ${e.date ?? 'undated'} | ${cell(e.what)} | ${cell(e.figure)} | ${cell(e.peers ?? '—')} | ` +
          `${cell(e.bar ?? '—')} | ${cell(e.load ?? '—')} | \`${cell(e.command)}\` |`,
      );
  }
  return out.join('\n');
}
