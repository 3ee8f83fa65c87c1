/** Oracles from ntfs-3g's tools (ntfsinfo), parsed for conformance tests and fixture facts. */
import { execFileSync } from 'node:child_process';

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

export interface NtfsVolumeFacts {
  readonly clusterSize: number;
  readonly sectorSize: number;
  readonly totalClusters: number;
  readonly freeClusters: number;
  readonly clustersInUse: number;
  readonly version: string;
  readonly flags: number;
}

/** `ntfsinfo -m`: geometry and the $Bitmap's free-cluster count. */
export function ntfsVolumeFacts(image: string): NtfsVolumeFacts {
  const out = run('ntfsinfo', ['-m', '-f', image]);
  const num = (re: RegExp): number => {
    const m = re.exec(out);
    if (!m) throw new Error(`ntfsinfo -m output lacks ${re}`);
    return Number(m[1]);
  };
  const totalClusters = num(/Volume Size in Clusters:\s*(\d+)/);
  const freeClusters = num(/Free Clusters:\s*(\d+)/);
  return {
    clusterSize: num(/Cluster Size:\s*(\d+)/),
    sectorSize: num(/Sector Size:\s*(\d+)/),
    totalClusters,
    freeClusters,
    clustersInUse: totalClusters - freeClusters,
    version: /Volume Version:\s*([\d.]+)/.exec(out)?.[1] ?? '',
    flags: parseInt(/Volume Flags:\s*0x([0-9a-fA-F]+)/.exec(out)?.[1] ?? '0', 16),
  };
}

export interface RunFact {
  readonly vcn: number;
  /** -1 for a hole. */
  readonly lcn: number;
  readonly length: number;
}

/** Runs of a file's unnamed $DATA from `ntfsinfo -v -F path` (all extents, attribute lists followed). */
export function ntfsDataRuns(image: string, path: string): RunFact[] {
  const out = run('ntfsinfo', ['-v', '-t', '-f', '-F', path, image]);
  const runs: RunFact[] = [];
  const sections = out.split(/Dumping attribute /).slice(1);
  for (const s of sections) {
    if (!s.startsWith('$DATA (0x80)')) continue;
    if (!/Name length:\s*0 /.test(s)) continue;
    const list = s.split(/Runlist:[^\n]*\n/)[1];
    if (!list) continue;
    for (const line of list.split('\n')) {
      const m = /^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+|<[A-Z_]+>|-?\d+)\s+(0x[0-9a-f]+)\s*$/i.exec(line);
      if (!m) {
        if (line.trim() !== '') break;
        continue;
      }
      // An extent's dump starts with a <RL_NOT_MAPPED> run covering the VCNs other extents hold.
      if (m[2]!.includes('NOT_MAPPED')) continue;
      const lcn = m[2]!.startsWith('0x') ? parseInt(m[2]!, 16) : -1;
      runs.push({ vcn: parseInt(m[1]!, 16), lcn, length: parseInt(m[3]!, 16) });
    }
  }
  return runs.sort((a, b) => a.vcn - b.vcn);
}

/** Number of entries `ntfsls` lists in a directory ('.' and '..' not counted). */
export function ntfsDirCount(image: string, dir: string): number {
  const out = run('ntfsls', ['-f', '-p', dir, image]);
  return out.split('\n').filter((l) => l !== '' && l !== '.' && l !== '..').length;
}
