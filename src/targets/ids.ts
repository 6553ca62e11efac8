/** The consumers' ids (the registry in index.ts maps each to its module). Kept apart so config needs no target code. */
export const TARGET_IDS = ["netbird", "openzro", "netbird-embedded", "netbird-legacy", "firezone"] as const;
export type TargetId = (typeof TARGET_IDS)[number];
