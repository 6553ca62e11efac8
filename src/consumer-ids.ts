/**
 * The consumers' ids. The registry in index.ts must map each to its module (its `satisfies` makes a missing
 * or extra one a compile error). Kept apart so config.ts, which checks CONSUMER, needs no consumer code.
 */
export const CONSUMER_IDS = ["netbird", "openzro", "netbird-embedded", "netbird-legacy", "firezone"] as const;
export type ConsumerId = (typeof CONSUMER_IDS)[number];
