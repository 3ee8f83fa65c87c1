/**
 * `npm run bench:report` on a fresh clone (no saved results) and the checks on its inputs: the
 * history file and a saved result.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BENCHES } from '../../bench/report-benches.js';
import { loadHistory, renderHistory } from '../../bench/report-history.js';
import { jsonFromOutput, loadResult } from '../../bench/report-results.js';

const root = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'dm-bench-report-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('bench report', () => {
  it('renders every bench as "not measured yet" with its command when no result is saved', () => {
    const dir = scratch();
    const out = path.join(dir, 'benchmarks.md');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/report.ts', '--results', path.join(dir, 'none'), '--out', out],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.stderr).toContain('wrote');
    expect(r.status).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('No results saved yet');
    for (const b of BENCHES) {
      const line = md.split('\n').find((l) => l.startsWith(`| ${b.what} |`));
      expect(line, b.name).toBeDefined();
      expect(line).toMatch(b.runArgs ? /not measured yet/ : /not measured by this report/);
      expect(line).toContain(b.command.replaceAll('|', '\\|'));
    }
  });

  it('loads the committed history, with one headline entry per listed bench at most', () => {
    const history = loadHistory(path.join(root, 'bench/history.json'));
    expect(history.entries.length).toBeGreaterThan(0);
    for (const b of BENCHES) {
      const heads = history.entries.filter((e) => e.bench === b.name && e.headline);
      expect(heads.length, b.name).toBeLessThanOrEqual(1);
    }
    expect(renderHistory(history)).toContain('### bitlooker-backup');
  });

  it('refuses a history entry that names an unknown machine or lacks its command', () => {
    const dir = scratch();
    const entry = {
      bench: 'x',
      date: '2026-12-06',
      machine: 'vm',
      what: 'w',
      figure: 'f',
      command: 'c',
      source: 's',
    };
    const file = path.join(dir, 'history.json');
    writeFileSync(
      file,
      JSON.stringify({ machines: { vm: 'a VM' }, entries: [{ ...entry, machine: 'other' }] }),
    );
    expect(() => loadHistory(file)).toThrow(/entries\.0\.machine: unknown machine "other"/);
    const { command: _dropped, ...noCommand } = entry;
    writeFileSync(file, JSON.stringify({ machines: { vm: 'a VM' }, entries: [noCommand] }));
    expect(() => loadHistory(file)).toThrow(/entries\.0\.command/);
  });

  it("finds the JSON document after a bench's log lines, and refuses a result saved for another bench", () => {
    expect(jsonFromOutput('built x in 1 s\n{\n  "a": 1\n}\n', 'v')).toEqual({ a: 1 });
    expect(() => jsonFromOutput('no json here\n', 'v')).toThrow(/bench v printed no JSON document/);
    const dir = scratch();
    writeFileSync(path.join(dir, 'stages.json'), JSON.stringify({ name: 'other', date: 'd', machine: {} }));
    expect(() => loadResult(dir, 'stages')).toThrow(/not a saved result of bench stages/);
  });
});
