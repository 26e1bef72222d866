/**
 * Process CPU time (user + system, all threads) spent while `work` runs. libvips works on its own threads,
 * so wall time alone would hide or double-count it; with `sharp.concurrency(1)` and one image at a time,
 * CPU time is the cost of the call itself.
 */
export async function measureCpuMs<T>(
  work: () => Promise<T>,
): Promise<{ result: T; cpuMs: number; wallMs: number }> {
  const wallStart = process.hrtime.bigint();
  const start = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(start);
  const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
  return { result, cpuMs: (used.user + used.system) / 1000, wallMs };
}
