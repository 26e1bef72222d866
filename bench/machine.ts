import os from 'node:os';
import sharp from 'sharp';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemoryGb: number;
  platform: string;
  node: string;
  sharp: string;
  libvips: string;
  /** 1-minute load average at the start: load from anything else skews every figure. */
  loadAverageAtStart: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    totalMemoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    sharp: sharp.versions.sharp ?? 'unknown',
    libvips: sharp.versions.vips,
    loadAverageAtStart: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}
