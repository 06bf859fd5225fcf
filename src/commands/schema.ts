// `simload schema`: the JSON Schema of scenario files, for editors (completion, checks as you type).
import { writeFile } from 'node:fs/promises';
import { SimloadError } from '../errors.js';
import type { SimloadCommand } from './command.js';

export const schemaCommand: SimloadCommand = {
  command: 'schema',
  describe: 'Print the JSON Schema of scenario files (for editor completion)',
  builder: (y) =>
    y
      .option('out', { type: 'string', describe: 'write it to this file instead of stdout' })
      .example('$0 schema --out simload.schema.json', 'write it next to your scenarios')
      .epilogue(
        [
          'VS Code (YAML extension): "yaml.schemas": { "./simload.schema.json": "scenarios/*.yaml" }',
          'or a first line in a scenario: # yaml-language-server: $schema=./simload.schema.json',
        ].join('\n'),
      ),
  handler: async (argv) => {
    const { scenarioSchema } = await import('../scenario/schema.js');
    const text = JSON.stringify(scenarioSchema(), null, 2) + '\n';
    if (typeof argv.out === 'string') {
      try {
        await writeFile(argv.out, text);
      } catch (err) {
        throw new SimloadError('ERR_SCHEMA_WRITE', `cannot write ${argv.out}: ${(err as Error).message}`, 2);
      }
      process.stderr.write(`simload: wrote the scenario schema to ${argv.out}\n`);
    } else {
      process.stdout.write(text);
    }
    return 0;
  },
};
