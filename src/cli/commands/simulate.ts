// `mailtrace simulate`: the embedded Entra + Graph simulator, standalone (same as `npm run simulator`).
import { SIMULATOR_USAGE } from '../../simulator/usage.ts';
import type { Command } from '../command.ts';

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'Run the simulated Microsoft 365 tenant (Entra ID + Graph over HTTPS on 127.0.0.1)',
  usage:
    'mailtrace simulate [--users N] [--seed S] [--days D] [--port P] [--latency realistic|zero] [--write-config FILE]',
  examples: [
    'mailtrace simulate --users 2000 --seed 7 --write-config .tmp/sim.json',
    'mailtrace simulate --users 500 --latency zero --faults 0.2',
  ],
  options: {},
  optionHelp: SIMULATOR_USAGE.split('\n').slice(3),
  // The simulator parses its own flags; hand them over untouched.
  passThrough: true,
  async run(args) {
    const { runSimulate } = await import('./simulate-run.ts');
    return runSimulate(args);
  },
};
