/**
 * The file configure.sh reads from its own directory (`source setup.env`, NetBird's and openZro's scripts). A
 * module of its own: the consumers name it on every run, while what runs configure.sh (./configure.ts,
 * ./artifacts.ts and jsonc-parser) is loaded only when a run does.
 */
export const SCRIPT_INPUT = "setup.env";
