// Placeholder until its issue lands: replaced by the real command.
import { SimloadError } from '../errors.js';
import type { SimloadCommand } from './command.js';

export const schemaCommand: SimloadCommand = {
  command: 'schema',
  describe: '(not built yet)',
  builder: (y) => y,
  handler: async () => {
    throw new SimloadError('ERR_NOT_BUILT', 'schema is not built yet');
  },
};
