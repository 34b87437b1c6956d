// What `mailtrace simulate` does once it runs (simulate.ts holds its help): the simulator's own main, its exit
// code mapped to the CLI's.
import { runSimulator } from '../../simulator/main.ts';
import type { ParsedArgs } from '../command.ts';
import { CliError, EXIT } from '../errors.ts';

export async function runSimulate(args: ParsedArgs): Promise<undefined> {
  const code = await runSimulator(args.positionals);
  if (code !== 0)
    throw new CliError('the simulator stopped with an error', code === 2 ? EXIT.usage : EXIT.internal);
  return undefined;
}
