// The facts a benchmark figure means nothing without: which CPU, how many cores, how much memory, which Node.
import { cpus, release, totalmem, type } from 'node:os';

export interface MachineFacts {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  /** RFC 3339 UTC instant the figures were taken. */
  date: string;
}

export function machineFacts(now: Date = new Date()): MachineFacts {
  const all = cpus();
  return {
    cpu: all[0]?.model.trim() ?? 'unknown',
    cores: all.length,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    date: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

export function describeMachine(m: MachineFacts): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}, Node ${m.node}, ${m.date}`;
}
