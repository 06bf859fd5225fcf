// Placeholder until its issue lands: replaced by the real command.
import { SimloadError } from '../errors.js';
import type { SimloadCommand } from './command.js';

export const compareCommand: SimloadCommand = {
  command: 'compare',
  describe: '(not built yet)',
  builder: (y) => y,
  handler: async () => {
    throw new SimloadError('ERR_NOT_BUILT', 'compare is not built yet');
  },
};
