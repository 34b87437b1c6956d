// The simulator's flags, as a usage error and `mailtrace simulate --help` print them. A module without imports, so
// that `mailtrace --help` (which loads every command's help) does not load the simulator.
export const SIMULATOR_USAGE = `usage: npm run simulator -- [--users N] [--seed S] [--days D] [--port P]
       [--latency realistic|zero] [--tenant-file FILE] [--write-config FILE] [--faults RATE]

  --users N          users to generate (default 200; at least 30)
  --seed S           generator and fault seed (default 1)
  --days D           days of traffic before now (default 7, 1..90)
  --port P           port on 127.0.0.1 (default: a free port)
  --latency MODE     realistic (default) or zero
  --tenant-file F    load this tenant file instead of generating one
  --write-config F   write a mailtrace config file pointing at the simulator
  --faults RATE      total probability (0..1) of an injected fault per Graph request (default 0)`;
