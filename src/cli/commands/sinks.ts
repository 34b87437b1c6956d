// `mailtrace sinks check`: one real request to every sink of the config (what doctor does, without a tenant).
// `mailtrace sinks install-template`: PUTs the index template matching mailtrace's ECS documents into each
// Elasticsearch/OpenSearch sink, so that the data stream gets the right field types before the first event.
import { type Command, OUTPUT_OPTION_HELP, OUTPUT_OPTIONS } from '../command.ts';

export const sinksCommand: Command = {
  name: 'sinks',
  summary: 'Check the configured sinks, or install the Elasticsearch/OpenSearch index template',
  usage:
    'mailtrace sinks check [--config FILE] [--sink NAME]\n' +
    '       mailtrace sinks install-template [--config FILE] [--sink NAME] [--flavor auto|elasticsearch|opensearch]',
  examples: [
    'mailtrace sinks check --config mailtrace.json',
    'mailtrace sinks check --config mailtrace.json --sink splunk --output json',
    'mailtrace sinks install-template --config mailtrace.json',
    'mailtrace sinks install-template --config mailtrace.json --sink elastic-prod --flavor opensearch',
  ],
  allowPositionals: true,
  options: {
    config: { type: 'string', short: 'c' },
    sink: { type: 'string' },
    flavor: { type: 'string' },
    ...OUTPUT_OPTIONS,
  },
  optionHelp: [
    '-c, --config FILE     config file with a "sinks" section (default: $MAILTRACE_CONFIG)',
    '    --sink NAME       only this sink (its "name", or its type when unnamed)',
    '    --flavor F        install-template: auto (default: asks the cluster), elasticsearch or opensearch',
    ...OUTPUT_OPTION_HELP,
    '',
    'check exits 6 when a sink fails (the output says which and how to fix it); secrets are never printed.',
    'install-template needs the manage_index_templates cluster privilege; run it once before collecting.',
  ],
  async run(args, context) {
    const { runSinks } = await import('./sinks-run.ts');
    return runSinks(args, context);
  },
};
