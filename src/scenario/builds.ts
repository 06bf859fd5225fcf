// Names a `build:` may use: the allocator catalog's (alloc/variants.ts), so the loader and the server agree.
export { buildNames } from '../alloc/variants.js';
