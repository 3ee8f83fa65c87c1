import { describe, expect, it } from 'vitest';
import { bottleneckOf, newStageClocks } from '../../src/pipeline/stats.js';

describe('stage clocks and the bottleneck (design.md §3.1 keys)', () => {
  it('maps sourceRead → source, process CPU → proxy, handover → network, writer → target', () => {
    const clocks = newStageClocks();
    clocks.sourceRead.add(100);
    clocks.compute.add(900); // reported as busyMs.compute, not a bottleneck key
    clocks.handover.add(300);
    clocks.writer.add(400);
    // 1000 ms of wall time on 2 cores, 1200 ms of process CPU: the proxy was 60 % busy.
    expect(bottleneckOf(clocks, 1000, 1200, 2)).toEqual({
      source: 0.1,
      proxy: 0.6,
      network: 0.3,
      target: 0.4,
      primary: 'proxy',
    });
    clocks.writer.add(500);
    expect(bottleneckOf(clocks, 1000, 1200, 2).primary).toBe('target');
  });

  it('counts overlapping operations of one stage once (BusyClock), and clamps shares to 0..1', () => {
    const clocks = newStageClocks();
    clocks.writer.begin();
    clocks.writer.begin();
    clocks.writer.end();
    expect(clocks.writer.busyMs).toBeGreaterThanOrEqual(0);
    clocks.writer.end();
    const after = clocks.writer.busyMs;
    expect(clocks.writer.busyMs).toBe(after); // closed: it no longer counts up
    clocks.handover.add(5000);
    expect(bottleneckOf(clocks, 1000, 0, 2).network).toBe(1);
  });
});
