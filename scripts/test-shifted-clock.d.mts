// Types of scripts/test-shifted-clock.mjs, for test/conventions/clock-files.test.ts.
/** The test files run again with the clock moved ahead. */
export declare const CLOCK_FILES: string[]
