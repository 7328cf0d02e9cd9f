import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (src/**/*.test.ts) or under test/unit; end-to-end tests under
// test/e2e drive the built CLI against real sshd / the lab and need root. Lab-backed files are
// slow and touch the kernel, so files run with limited parallelism on the 2-core machines.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
