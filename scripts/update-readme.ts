/** Regenerates the README's variable and exit-code tables from the code (`npm run docs`). */
import { readFileSync, writeFileSync } from "node:fs";
import { regenerate } from "./readme-tables.ts";

const path = new URL("../README.md", import.meta.url);
writeFileSync(path, await regenerate(readFileSync(path, "utf8")));
