/** Plain-JSON view of a disk analysis for `datamover inspect` (partitions, NTFS volumes, exclusions). */
import type { DiskAnalysis } from './analyze.js';
import { totalLength } from './ranges.js';

export interface VolumeDescription {
  readonly scheme: string;
  readonly partitions: { index: number; offset: number; length: number; type: string; name?: string }[];
  readonly volumes: {
    partitionIndex: number;
    kind: string;
    status: string;
    clusterSize: number;
    totalClusters: number;
    clustersInUse: number;
    version?: string;
    excluded: { path: string; bytes: number; extents: { offset: number; length: number }[] }[];
    warnings: string[];
  }[];
  readonly skippableBytes: number;
  readonly warnings: string[];
}

export function describeVolumes(analysis: DiskAnalysis): VolumeDescription {
  return {
    scheme: analysis.scheme,
    partitions: analysis.partitions.map((p) => ({
      index: p.index,
      offset: p.offset,
      length: p.length,
      type: p.type,
      ...(p.name !== undefined ? { name: p.name } : {}),
    })),
    volumes: analysis.volumes.map((v) => ({
      partitionIndex: v.partitionIndex,
      kind: v.kind,
      status: v.status,
      clusterSize: v.clusterSize,
      totalClusters: v.totalClusters,
      clustersInUse: v.clustersInUse,
      ...(v.version !== undefined ? { version: v.version } : {}),
      excluded: v.excluded.map((e) => ({
        path: e.path,
        bytes: e.bytes,
        extents: e.extents.map((x) => ({ offset: x.offset, length: x.length })),
      })),
      warnings: [...v.warnings],
    })),
    skippableBytes: totalLength(analysis.skip),
    warnings: [...analysis.warnings],
  };
}
