/** The fake authentik's public surface. */
export { startFakeAuthentik, type FakeAuthentik, type FakeAuthentikOptions, type Fault, type RequestRecord, type Stage } from "./server.ts";
export { Store } from "./store.ts";
export { VERSIONS, loadSchema } from "./schema.ts";
