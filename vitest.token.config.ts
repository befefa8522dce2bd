import { defineConfig } from 'vitest/config';

/** The token tests alone, for mutation testing of src/token (stryker.token.config.json). */
export default defineConfig({ test: { include: ['test/token/**/*.test.ts'] } });
