// A logger that keeps its lines (through the real redacting JSON logger) so tests can scan them for secrets.
import { createLogger, type JsonLogger } from '../../../src/graph/logger.ts';

export interface CapturedLogger {
  logger: JsonLogger;
  lines: string[];
}

export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }), lines };
}
